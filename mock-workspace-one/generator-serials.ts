/**
 * Serial number formats per manufacturer, as they appear in device
 * inventories, plus the placeholder values that badly provisioned firmware
 * reports instead of a serial.
 */
import type { Random } from './generator-random'

// Apple and Dell leave out letters that read like digits.
const APPLE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'
const DELL_ALPHABET = 'BCDFGHJKLMNPQRSTVWXYZ0123456789'
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export type SerialFormat =
  | 'apple-legacy'
  | 'apple-random'
  | 'dell'
  | 'lenovo'
  | 'hp'
  | 'samsung'
  | 'numeric'
  | 'vmware'

/** Values firmware reports when no serial was programmed. */
export const PLACEHOLDER_SERIALS: readonly string[] = [
  'To be filled by O.E.M.',
  'Default string',
  'System Serial Number',
  '0',
  '',
]

function vmwareBytes(random: Random): string {
  const bytes: string[] = []
  for (let i = 0; i < 8; i++) bytes.push(random.hex(2))
  return bytes.join(' ')
}

/** Draws one serial in the given format. */
export function makeSerial(format: SerialFormat, random: Random): string {
  switch (format) {
    case 'apple-legacy':
      // Older Apple serials have 12 characters and start with a factory code such as C02.
      return random.pick(['C02', 'C07', 'FVF', 'F5K', 'DMP']) + random.chars(9, APPLE_ALPHABET)
    case 'apple-random':
      // Newer Apple hardware has 10 random characters.
      return random.chars(10, APPLE_ALPHABET)
    case 'dell':
      // A Dell service tag has 7 characters.
      return random.chars(7, DELL_ALPHABET)
    case 'lenovo':
      return random.pick(['PF', 'MP', 'PC', 'R9']) + random.chars(6, UPPER_ALNUM)
    case 'hp':
      return random.pick(['CND', '5CG', '8CC', 'MXL']) + random.chars(7, UPPER_ALNUM)
    case 'samsung':
      return random.pick(['R58', 'R5C', 'R3C', 'RF8']) + random.chars(8, UPPER_ALNUM)
    case 'numeric':
      // Purely numeric Android serials, 14 digits like the API docs' example 17142522504057.
      return String(random.range(1, 2)) + random.digits(13)
    case 'vmware':
      return `VMware-${vmwareBytes(random)}-${vmwareBytes(random)}`
  }
}

/** Draws a 15-digit IMEI with a valid Luhn check digit. */
export function makeImei(random: Random): string {
  const body = random.pick(['35', '86', '01', '99']) + random.digits(12)
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body.charAt(body.length - 1 - i))
    if (i % 2 === 0) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return body + String((10 - (sum % 10)) % 10)
}

/** Draws 12 upper-case hex digits with no separators, as Workspace ONE sends MAC addresses. */
export function makeMacAddress(random: Random): string {
  return random.hex(12, true)
}
