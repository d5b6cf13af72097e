/** Small scenario files for the command-line tests. */

/** Two Mac devices, one with a failing flag, and expectations that hold. */
export const PASSING_SCENARIO = `
name: cli passing scenario
duration: 5m
fleet:
  devices:
    - { serial: C02CLI00001, platform: AppleOsX, policies: { Encryption: pass, Firewall: fail } }
    - { serial: C02CLI00002, platform: AppleOsX, policies: { Encryption: pass } }
cloudflare:
  rules:
    - name: WS1 compliant
      input: { compliance_status: compliant }
  mirror_fleet: true
expect:
  devices:
    - { device: C02CLI00001, status: noncompliant, result: fail, reason: flag_failed }
    - { device: C02CLI00002, status: compliant, result: pass }
`

/** The passing scenario with one expectation that does not hold. */
export const WRONG_EXPECTATION_SCENARIO = PASSING_SCENARIO.replace(
  'cli passing scenario',
  'cli wrong expectation',
).replace(
  '{ device: C02CLI00002, status: compliant, result: pass }',
  '{ device: C02CLI00002, status: noncompliant, result: fail }',
)

/** A flag that flips at 7m under a 5-minute interval. */
export const FLIP_SCENARIO = `
name: cli flag flip
description: Firewall fails at 7m; the poll at 10m reports it.
duration: 15m
fleet:
  devices:
    - { serial: C02FLIP0001, platform: AppleOsX, policies: { Firewall: pass } }
cloudflare:
  integration: { interval: 5m }
  devices:
    - { device_id: d-flip, serial_number: C02FLIP0001, platform: mac, name: flip-mac }
timeline:
  - at: 7m
    set_policy: { serial: C02FLIP0001, policy: Firewall, result: fail }
expect:
  latency:
    - { device: d-flip, change_at: 7m, to: noncompliant }
`

/** Invalid: a bad duration on line 2 and a misspelt key on line 3. */
export const INVALID_SCENARIO = 'name: broken\nduration: soon\nfleet: { devicez: [] }\n'

/**
 * A mirrored fleet with an exception and an override, a checker option, a
 * step at 0s that applies before the first poll and a step an hour later.
 */
export const LIVE_SCENARIO = `
name: cli live options
duration: 2h
fleet:
  devices:
    - { serial: C02LIVE0001, platform: AppleOsX, policies: { Firewall: pass } }
    - { serial: C02LIVE0002, platform: AppleOsX, policies: {} }
    - { serial: C02LIVE0003, platform: AppleOsX, policies: { Firewall: pass } }
cloudflare:
  checker: { strict_unevaluated: true }
  mirror_fleet:
    except: [C02LIVE0003]
    overrides:
      - { serial: C02LIVE0001, device_id: live-first }
timeline:
  - at: 0s
    set_policy: { serial: C02LIVE0001, policy: Firewall, result: fail }
  - at: 1h
    remove_device: { serial: C02LIVE0002 }
`
