/**
 * Hardware and software catalogs per platform for the fleet generator:
 * models with their manufacturer and serial format, OS versions, and how
 * Workspace ONE composes `DeviceFriendlyName` on each platform.
 */
import type { SerialFormat } from './generator-serials'

export type FleetPlatform = 'windows' | 'macos' | 'linux' | 'ios' | 'android'

export interface ModelEntry {
  name: string
  modelId: number
  oem: string
  serial: SerialFormat
  /** Short name for friendly and host names, for example "MacBook Pro". */
  family: string
}

export interface PlatformProfile {
  platform: string
  models: readonly ModelEntry[]
  /** `OperatingSystem` values with their `OSBuildVersion`. */
  systems: ReadonlyArray<readonly [string, string]>
  mobile: boolean
  processorArchitecture: number
  /**
   * Friendly name in Workspace ONE's default pattern:
   * `<user> <model> <platform label> <os> <last 4 of serial>`. The names are
   * joined from arrays because `join` gives one flat string. Template
   * concatenation would leave V8 a tree of parts, which costs more memory per device.
   */
  friendlyName(userName: string, family: string, model: string, os: string, lastFour: string): string
}

const WINDOWS_MODELS: readonly ModelEntry[] = [
  { name: 'Latitude 7420', modelId: 83, oem: 'Dell Inc.', serial: 'dell', family: 'Latitude' },
  { name: 'Latitude 5440', modelId: 84, oem: 'Dell Inc.', serial: 'dell', family: 'Latitude' },
  { name: 'OptiPlex 7090', modelId: 85, oem: 'Dell Inc.', serial: 'dell', family: 'OptiPlex' },
  { name: 'Inspiron 15 3520', modelId: 86, oem: 'Dell Inc.', serial: 'dell', family: 'Inspiron' },
  { name: 'ThinkPad T14 Gen 3', modelId: 90, oem: 'LENOVO', serial: 'lenovo', family: 'ThinkPad' },
  { name: 'ThinkPad X1 Carbon Gen 10', modelId: 91, oem: 'LENOVO', serial: 'lenovo', family: 'ThinkPad' },
  { name: 'ThinkCentre M70q Gen 2', modelId: 92, oem: 'LENOVO', serial: 'lenovo', family: 'ThinkCentre' },
  { name: 'HP EliteBook 840 G8', modelId: 95, oem: 'HP', serial: 'hp', family: 'EliteBook' },
  { name: 'HP ProBook 450 G9', modelId: 96, oem: 'HP', serial: 'hp', family: 'ProBook' },
  { name: 'HP EliteDesk 800 G6', modelId: 97, oem: 'HP', serial: 'hp', family: 'EliteDesk' },
]

const MAC_MODELS: readonly ModelEntry[] = [
  { name: 'MacBook Pro (14-inch, 2023)', modelId: 120, oem: 'Apple Inc.', serial: 'apple-random', family: 'MacBook Pro' },
  { name: 'MacBook Air (M2, 2022)', modelId: 121, oem: 'Apple Inc.', serial: 'apple-random', family: 'MacBook Air' },
  { name: 'MacBook Pro (16-inch, 2021)', modelId: 122, oem: 'Apple Inc.', serial: 'apple-random', family: 'MacBook Pro' },
  { name: 'iMac (24-inch, M1, 2021)', modelId: 123, oem: 'Apple Inc.', serial: 'apple-random', family: 'iMac' },
  { name: 'MacBook Pro (13-inch, 2020)', modelId: 124, oem: 'Apple Inc.', serial: 'apple-legacy', family: 'MacBook Pro' },
  { name: 'MacBook Air (Retina, 13-inch, 2020)', modelId: 125, oem: 'Apple Inc.', serial: 'apple-legacy', family: 'MacBook Air' },
]

const IOS_MODELS: readonly ModelEntry[] = [
  { name: 'iPhone 13', modelId: 140, oem: 'Apple Inc.', serial: 'apple-legacy', family: 'iPhone' },
  { name: 'iPhone 14 Pro', modelId: 141, oem: 'Apple Inc.', serial: 'apple-random', family: 'iPhone' },
  { name: 'iPhone 15', modelId: 142, oem: 'Apple Inc.', serial: 'apple-random', family: 'iPhone' },
  { name: 'iPhone SE (3rd generation)', modelId: 143, oem: 'Apple Inc.', serial: 'apple-random', family: 'iPhone' },
  { name: 'iPad Air (5th generation)', modelId: 144, oem: 'Apple Inc.', serial: 'apple-random', family: 'iPad' },
]

const ANDROID_MODELS: readonly ModelEntry[] = [
  { name: 'SM-G991B', modelId: 160, oem: 'samsung', serial: 'samsung', family: 'Galaxy S21' },
  { name: 'SM-S911B', modelId: 161, oem: 'samsung', serial: 'samsung', family: 'Galaxy S23' },
  { name: 'SM-A536B', modelId: 162, oem: 'samsung', serial: 'samsung', family: 'Galaxy A53' },
  { name: 'TC52', modelId: 163, oem: 'Zebra Technologies', serial: 'numeric', family: 'TC52' },
  { name: 'TC21', modelId: 164, oem: 'Zebra Technologies', serial: 'numeric', family: 'TC21' },
]

const LINUX_MODELS: readonly ModelEntry[] = [
  { name: 'VMware Virtual Platform', modelId: 180, oem: 'VMware, Inc.', serial: 'vmware', family: 'VMware' },
  { name: 'ThinkPad T14 Gen 3', modelId: 90, oem: 'LENOVO', serial: 'lenovo', family: 'ThinkPad' },
  { name: 'Latitude 5440', modelId: 84, oem: 'Dell Inc.', serial: 'dell', family: 'Latitude' },
]

export const PLATFORM_PROFILES: Readonly<Record<FleetPlatform, PlatformProfile>> = {
  windows: {
    platform: 'WinRT',
    models: WINDOWS_MODELS,
    systems: [
      ['10.0.19045', '4529'],
      ['10.0.22621', '3880'],
      ['10.0.22631', '4037'],
      ['10.0.26100', '1742'],
    ],
    mobile: false,
    processorArchitecture: 9,
    friendlyName: (user, _family, model, os, lastFour) => [user, model, 'Windows Desktop', os, lastFour].join(' '),
  },
  macos: {
    platform: 'AppleOsX',
    models: MAC_MODELS,
    systems: [
      ['13.6.7', '22G720'],
      ['14.5.0', '23F79'],
      ['14.6.1', '23G93'],
      ['15.1.0', '24B83'],
    ],
    mobile: false,
    processorArchitecture: 12,
    friendlyName: (user, family, _model, os, lastFour) => [user, family, 'macOS', os, lastFour].join(' '),
  },
  ios: {
    platform: 'Apple',
    models: IOS_MODELS,
    systems: [
      ['16.7.8', '20H343'],
      ['17.5.1', '21F90'],
      ['17.6.1', '21G93'],
      ['18.1.0', '22B83'],
    ],
    mobile: true,
    processorArchitecture: 12,
    // iOS names carry no user: "iPhone iOS 17.5.1 F8KL".
    friendlyName: (_user, family, _model, os, lastFour) => [family, 'iOS', os, lastFour].join(' '),
  },
  android: {
    platform: 'Android',
    models: ANDROID_MODELS,
    systems: [
      ['12.0.0', 'SP1A.210812.016'],
      ['13.0.0', 'TP1A.220624.014'],
      ['14.0.0', 'UP1A.231005.007'],
    ],
    mobile: true,
    processorArchitecture: 12,
    friendlyName: (user, _family, _model, os, lastFour) => [user, 'Android Android', os, lastFour].join(' '),
  },
  linux: {
    platform: 'Linux',
    models: LINUX_MODELS,
    systems: [
      ['22.04', ''],
      ['24.04', ''],
      ['9.4', ''],
    ],
    mobile: false,
    processorArchitecture: 9,
    friendlyName: (user, _family, model, os, lastFour) => [user, model, 'Linux', os, lastFour].join(' '),
  },
}

/** Maps a Workspace ONE platform name to the catalog used for its defaults. */
export function profileKeyFor(platform: string): FleetPlatform {
  switch (platform) {
    case 'AppleOsX':
      return 'macos'
    case 'Apple':
      return 'ios'
    case 'Android':
      return 'android'
    case 'Linux':
      return 'linux'
    default:
      return 'windows'
  }
}

/** Returns the last four characters of a trimmed serial, as friendly names show them. */
export function lastFour(serial: string): string {
  return serial.trim().slice(-4)
}
