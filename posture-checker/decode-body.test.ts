/**
 * decodeBody against the Fetch standard's `Response.text()`, which it
 * replaces on the checker's response path.
 */
import { decodeBody } from './http'

function bytesOf(...parts: Array<string | number[]>): ArrayBuffer {
  const chunks = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)))
  const joined = Buffer.concat(chunks)
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer
}

const cases: Array<[name: string, body: ArrayBuffer]> = [
  ['empty', bytesOf('')],
  ['ASCII JSON', bytesOf('{"Devices":[{"SerialNumber":"C02X1"}],"Total":1}')],
  ['accented name', bytesOf('{"UserName":"Zoë Müller"}')],
  ['astral character', bytesOf('{"DeviceFriendlyName":"phone 📱"}')],
  ['byte order mark', bytesOf([0xef, 0xbb, 0xbf], '{"Total":0}')],
  ['invalid UTF-8', bytesOf('{"a":"', [0xc3, 0x28, 0xff], '"}')],
]

describe('decodeBody', () => {
  test.each(cases)('matches Response.text for %s', async (_name, body) => {
    const expected = await new Response(body.slice(0)).text()
    expect(decodeBody(body)).toBe(expected)
  })
})
