import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { createManualClock } from './clock'
import { Emulator, SNAPSHOT_FORMAT } from './emulator'
import { loadState, saveState } from './state'
import type { TenantSpec } from './types'

const START = Date.UTC(2024, 4, 20, 8)

function tenant(name: string, code: string, clientId: string): TenantSpec {
  return {
    name,
    tenantCode: code,
    clients: [{ clientId, clientSecret: `${clientId}-secret` }],
    devices: [{ id: 1, serialNumber: `${name}-1` }],
  }
}

function createEmulator(tenants?: TenantSpec[]): Emulator {
  return new Emulator({
    clock: createManualClock(START),
    seed: 21,
    logger: pino({ level: 'silent' }),
    ...(tenants === undefined ? {} : { tenants }),
  })
}

describe('Emulator', () => {
  it('builds the default tenant from the seed', () => {
    const first = createEmulator()
    const second = createEmulator()
    expect(first.tenant().name).toBe('Acme Corp')
    expect(first.tenant().deviceCount()).toBe(20)
    expect(first.tenant().clientList()[0]?.clientId).toBe('ws1sim-client')
    expect(second.snapshot()).toEqual(first.snapshot())
  })

  it.each([
    ['names', [tenant('Acme', 'A', 'a'), tenant('acme', 'B', 'b')], 'tenant names must be unique'],
    ['codes', [tenant('Acme', 'A', 'a'), tenant('Globex', 'A', 'b')], "reuses another tenant's tenantCode"],
    ['client ids', [tenant('Acme', 'A', 'a'), tenant('Globex', 'B', 'a')], 'client ids must be unique'],
  ])('rejects duplicate tenant %s', (_case, tenants, message) => {
    expect(() => createEmulator(tenants)).toThrow(message)
  })

  it.each([
    [{ tokenLifetimeSeconds: 0 }, 'tenants[0].tokenLifetimeSeconds'],
    [{ dailyQuota: -1 }, 'tenants[0].dailyQuota'],
    [{ throttlePerMinute: 1.5 }, 'tenants[0].throttlePerMinute'],
    [{ name: '' }, 'tenants[0].name'],
    [{ tenantCode: '' }, 'tenants[0].tenantCode'],
    [{ clients: 'client-a' }, 'tenants[0].clients'],
  ])('names an invalid tenant setting %#', (override, field) => {
    const spec = { ...tenant('Acme', 'A', 'a'), ...override } as TenantSpec
    expect(() => createEmulator([spec])).toThrow(field)
  })

  it('rejects an empty tenant list', () => {
    expect(() => createEmulator([])).toThrow('options.tenants is empty')
  })

  it('names an unknown tenant', () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a')])
    expect(() => emulator.tenant('Initech')).toThrow('Tenant "Initech" does not exist')
  })

  it('restores a snapshot with devices, clients and faults', () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a'), tenant('Globex', 'B', 'b')])
    emulator.tenant('Globex').addDevice({ serialNumber: 'ADDED' })
    emulator.tenant('Acme').rotateSecret('a', 'rotated')
    emulator.addFault({ id: 'slow', effect: { type: 'delay', ms: 10 } })
    const snapshot = JSON.parse(JSON.stringify(emulator.snapshot())) as unknown

    const restored = createEmulator([tenant('Other', 'X', 'x')])
    restored.restore(snapshot)
    expect(restored.tenants().map((item) => item.name)).toEqual(['Acme', 'Globex'])
    expect(restored.tenant('Globex').findBySerial('ADDED')).toHaveLength(1)
    expect(restored.tenant('Acme').client('a')?.clientSecret).toBe('rotated')
    expect(restored.faults.list().map((rule) => rule.id)).toEqual(['slow'])
    expect(restored.snapshot()).toEqual(snapshot)
  })

  it.each([
    [null, 'must be a JSON object'],
    [{ format: 'other', version: 1 }, 'not an emulator snapshot'],
    [{ format: SNAPSHOT_FORMAT, version: 1, tenants: [] }, '"tenants" must be a non-empty array'],
    [{ format: SNAPSHOT_FORMAT, version: 1, tenants: [{ name: 'A' }] }, 'tenants[0].tenantCode'],
  ])('rejects an invalid snapshot %#', (snapshot, message) => {
    const emulator = createEmulator()
    expect(() => emulator.restore(snapshot)).toThrow(message)
    expect(emulator.tenant().name).toBe('Acme Corp')
  })

  it('lists device summaries in id order', () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a')])
    const control = emulator.tenant()
    control.addDevice({
      id: 7,
      serialNumber: ' c02fake ',
      platform: 'AppleOsX',
      userEmail: 'ana@example.test',
      friendlyName: 'Ana Mac',
    })
    control.addDevice({ id: 3, serialNumber: 'WIN3', platform: 'WinRT' })
    control.unenroll({ id: 3 })

    const summaries = control.listDevices()

    expect(summaries.map((device) => device.id)).toEqual([1, 3, 7])
    expect(summaries[1]).toMatchObject({ serialNumber: 'WIN3', platform: 'WinRT', enrollmentStatus: 'Unenrolled' })
    expect(summaries[2]).toEqual({
      id: 7,
      uuid: control.findBySerial(' c02fake ')[0]?.uuid,
      serialNumber: ' c02fake ',
      platform: 'AppleOsX',
      enrollmentStatus: 'Enrolled',
      userEmail: 'ana@example.test',
      friendlyName: 'Ana Mac',
    })
  })

  it('lists a re-enrolled device twice', () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a')])
    const created = emulator.tenant().reenroll({ id: 1 })

    const summaries = emulator.tenant().listDevices()

    expect(summaries.map((device) => [device.id, device.enrollmentStatus])).toEqual([
      [1, 'Unenrolled'],
      [created.id, 'Enrolled'],
    ])
    expect(summaries.every((device) => device.serialNumber === 'Acme-1')).toBe(true)
  })

  it('resets tenants, faults, tokens and journal', () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a')])
    emulator.tenant().addDevice({ serialNumber: 'TEMP' })
    emulator.addFault({ effect: { type: 'reset' } })
    const { accessToken } = emulator.tokens.issue('Acme', 'a', START, 60)
    emulator.reset()
    expect(emulator.tenant().findBySerial('TEMP')).toHaveLength(0)
    expect(emulator.faults.size).toBe(0)
    expect(emulator.tokens.check(accessToken, START).status).toBe('unknown')
  })
})

describe('state files', () => {
  let directory: string

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-state-'))
  })

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('saves and loads a snapshot', async () => {
    const emulator = createEmulator([tenant('Acme', 'A', 'a')])
    emulator.tenant().addDevice({ serialNumber: 'SAVED' })
    const file = path.join(directory, 'state.json')
    await saveState(emulator, file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const restored = createEmulator()
    restored.restore(await loadState(file))
    expect(restored.tenant().findBySerial('SAVED')).toHaveLength(1)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(emulator.snapshot())
  })

  it('names a missing or broken file', async () => {
    await expect(loadState(path.join(directory, 'none.json'))).rejects.toThrow('ENOENT')
    const broken = path.join(directory, 'broken.json')
    await writeFile(broken, '{"format":')
    await expect(loadState(broken)).rejects.toThrow(`State file ${broken} is not valid JSON`)
  })
})
