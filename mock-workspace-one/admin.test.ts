import pino from 'pino'
import request from 'supertest'
import { createMockServer } from './app'
import { createManualClock } from './clock'
import type { Clock } from './types'

const START = Date.UTC(2024, 4, 20, 8)

function setup(options: { adminToken?: string; clock?: Clock } = {}) {
  const clock = options.clock ?? createManualClock(START)
  const { app, emulator } = createMockServer({
    clock,
    seed: 9,
    logger: pino({ level: 'silent' }),
    ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    tenants: [
      {
        name: 'Acme',
        tenantCode: 'CODE-A',
        clients: [{ clientId: 'client-a', clientSecret: 'secret-a' }],
        devices: [
          { id: 1, serialNumber: 'FAKE1' },
          { id: 2, serialNumber: 'FAKE2' },
        ],
      },
      { name: 'Globex', tenantCode: 'CODE-B', devices: [{ id: 9, serialNumber: 'GLOBEX1' }] },
    ],
  })
  return { app, emulator, clock }
}

describe('control API', () => {
  it('lists tenants and routes', async () => {
    const { app } = setup()
    const tenants = await request(app).get('/__admin/tenants')
    expect(tenants.status).toBe(200)
    expect(tenants.body.tenants.map((tenant: { name: string }) => tenant.name)).toEqual(['Acme', 'Globex'])
    const index = await request(app).get('/__admin/')
    expect(index.body.routes).toContain('POST /__admin/faults')
  })

  it('creates, reads, updates and deletes a device', async () => {
    const { app, emulator } = setup()
    const created = await request(app).post('/__admin/devices').send({ serialNumber: 'NEW1', platform: 'Android' })
    expect(created.status).toBe(201)
    const id = created.body.id as number
    expect(id).toBeGreaterThan(2)
    const read = await request(app).get(`/__admin/devices/${created.body.uuid as string}`)
    expect(read.status).toBe(200)
    expect(read.body.device.serialNumber).toBe('NEW1')
    const updated = await request(app).patch(`/__admin/devices/${id}`).send({ model: 'Pixel 8' })
    expect(updated.status).toBe(200)
    expect(emulator.tenant().store.get({ id })?.model).toBe('Pixel 8')
    const deleted = await request(app).delete('/__admin/devices/serial:NEW1')
    expect(deleted.status).toBe(200)
    expect(emulator.tenant().deviceCount()).toBe(2)
  })

  it('scopes device routes with ?tenant=', async () => {
    const { app } = setup()
    const listed = await request(app).get('/__admin/devices?tenant=Globex')
    expect(listed.body.total).toBe(1)
    expect(listed.body.devices[0].serialNumber).toBe('GLOBEX1')
    const missing = await request(app).get('/__admin/devices?tenant=Initech')
    expect(missing.status).toBe(404)
    expect(missing.body.error).toBe('not_found')
  })

  it('sets a policy, unenrolls and reenrolls', async () => {
    const { app, emulator } = setup()
    const policy = await request(app).put('/__admin/devices/1/policies/Encryption').send({ compliant: false })
    expect(policy.status).toBe(200)
    expect(emulator.tenant().store.get({ id: 1 })?.complianceStatus).toBe('NonCompliant')
    const unenrolled = await request(app).post('/__admin/devices/1/unenroll')
    expect(unenrolled.status).toBe(200)
    expect(emulator.tenant().store.get({ id: 1 })?.enrollmentStatus).toBe('Unenrolled')
    const reenrolled = await request(app).post('/__admin/devices/1/reenroll')
    expect(reenrolled.status).toBe(201)
    expect(emulator.tenant().findBySerial('FAKE1')).toHaveLength(2)
  })

  it('names invalid device input', async () => {
    const { app } = setup()
    const badRef = await request(app).get('/__admin/devices/not-a-device')
    expect(badRef.status).toBe(400)
    expect(badRef.body.message).toContain('not-a-device')
    const missing = await request(app).get('/__admin/devices/999')
    expect(missing.status).toBe(404)
    const badPolicy = await request(app).put('/__admin/devices/1/policies/Encryption').send({ compliant: 'no' })
    expect(badPolicy.status).toBe(400)
    expect(badPolicy.body.message).toContain('compliant')
    const unknownField = await request(app).put('/__admin/devices/1/policies/Encryption').send({ colour: 'red' })
    expect(unknownField.status).toBe(400)
    expect(unknownField.body.error).toBe('unknown_field')
    const unknownSpecField = await request(app).post('/__admin/devices').send({ serialNumber: 'X', colour: 'red' })
    expect(unknownSpecField.status).toBe(400)
    expect(unknownSpecField.body.message).toContain('"colour"')
    const badEncoding = await request(app).get('/__admin/devices/%E0%A4%A')
    expect(badEncoding.status).toBe(400)
    const badJson = await request(app).post('/__admin/devices').set('Content-Type', 'application/json').send('{"serial')
    expect(badJson.status).toBe(400)
    expect(badJson.body.error).toBe('invalid_json')
  })

  it('generates and imports fleets', async () => {
    const { app } = setup()
    const generated = await request(app).post('/__admin/fleet/generate?tenant=Globex').send({ count: 10, seed: 4 })
    expect(generated.status).toBe(200)
    expect(generated.body.count).toBe(10)
    expect(generated.body.total).toBe(11)
    const imported = await request(app)
      .post('/__admin/fleet/import')
      .send({ Devices: [{ SerialNumber: 'IMPORTED1', Id: { Value: 500 }, Uuid: '6f1d1c2e-0000-4000-8000-000000000500' }] })
    expect(imported.status).toBe(200)
    expect(imported.body.count).toBe(1)
  })

  it('reads, sets and advances the clock', async () => {
    const { app, clock } = setup()
    const read = await request(app).get('/__admin/clock')
    expect(read.body.now).toBe(START)
    expect(read.body.settable).toBe(true)
    const set = await request(app).put('/__admin/clock').send({ now: '2024-06-01T00:00:00Z' })
    expect(set.body.iso).toBe('2024-06-01T00:00:00.000Z')
    const advanced = await request(app).post('/__admin/clock/advance').send({ by: '90m' })
    expect(advanced.body.now).toBe(Date.UTC(2024, 5, 1, 1, 30))
    expect(clock.now()).toBe(Date.UTC(2024, 5, 1, 1, 30))
    const bad = await request(app).post('/__admin/clock/advance').send({ by: 'soon' })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain('"soon"')
  })

  it('rejects an out-of-range clock time unchanged', async () => {
    const { app, clock } = setup()
    for (const now of [1e20, -1, '+275760-09-13T00:00:01Z', '10000-01-01T00:00:00Z']) {
      const response = await request(app).put('/__admin/clock').send({ now })
      expect(response.status).toBe(400)
      expect(response.body.error).toBe('invalid_field')
      expect(response.body.message).toContain('"now"')
      expect(clock.now()).toBe(START)
    }
    const read = await request(app).get('/__admin/clock')
    expect(read.status).toBe(200)
    expect(read.body.now).toBe(START)
  })

  it('rejects an advance past year 9999', async () => {
    const { app, clock } = setup()
    const response = await request(app).post('/__admin/clock/advance').send({ by: 1e20 })
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('invalid_field')
    expect(response.body.message).toContain('"by"')
    expect(clock.now()).toBe(START)
  })

  it('reports a clock it cannot move with 409', async () => {
    const fixed: Clock = { now: () => START, sleep: () => Promise.resolve() }
    const { app } = setup({ clock: fixed })
    const response = await request(app).post('/__admin/clock/advance').send({ by: '1h' })
    expect(response.status).toBe(409)
    expect(response.body.error).toBe('clock_not_settable')
  })

  it('manages OAuth clients', async () => {
    const { app } = setup()
    const token = () =>
      request(app).post('/connect/token').type('form').send('grant_type=client_credentials&client_id=client-new&client_secret=s1')
    const created = await request(app).post('/__admin/clients').send({ clientId: 'client-new', clientSecret: 's1' })
    expect(created.status).toBe(201)
    expect((await token()).status).toBe(200)
    expect((await request(app).post('/__admin/clients/client-new/disable')).status).toBe(200)
    expect((await token()).status).toBe(400)
    expect((await request(app).post('/__admin/clients/client-new/enable')).status).toBe(200)
    const rotated = await request(app).post('/__admin/clients/client-new/rotate').send({})
    expect(rotated.body.clientSecret).toEqual(expect.any(String))
    expect((await token()).status).toBe(400)
    expect((await request(app).post('/__admin/clients/client-new/revoke')).status).toBe(200)
    const duplicate = await request(app).post('/__admin/clients').send({ clientId: 'client-a' })
    expect(duplicate.status).toBe(409)
    const unknown = await request(app).post('/__admin/clients/ghost/disable')
    expect(unknown.status).toBe(404)
  })

  it('adds, lists and removes faults', async () => {
    const { app } = setup()
    const added = await request(app).post('/__admin/faults').send({ effect: { type: 'premature-204' } })
    expect(added.status).toBe(201)
    expect((await request(app).get('/__admin/faults')).body.faults).toHaveLength(1)
    const invalid = await request(app).post('/__admin/faults').send({ effect: { type: 'boom' } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.message).toContain('effect.type')
    expect((await request(app).delete(`/__admin/faults/${added.body.id as string}`)).status).toBe(200)
    expect((await request(app).delete('/__admin/faults/missing')).status).toBe(404)
    await request(app).post('/__admin/faults').send({ effect: { type: 'reset' } })
    await request(app).delete('/__admin/faults')
    expect((await request(app).get('/__admin/faults')).body.faults).toHaveLength(0)
  })

  it('reads journal entries and counts', async () => {
    const { app } = setup()
    await request(app).post('/connect/token').type('form').send('grant_type=client_credentials&client_id=client-a&client_secret=bad')
    await request(app).get('/API/mdm/devices/search')
    const entries = await request(app).get('/__admin/journal?status=401')
    expect(entries.body.entries).toHaveLength(1)
    const counts = await request(app).get('/__admin/journal/counts')
    expect(counts.body.total).toBe(2)
    expect(counts.body.byStatus).toEqual({ '400': 1, '401': 1 })
    const badFilter = await request(app).get('/__admin/journal?since=yesterday')
    expect(badFilter.status).toBe(400)
    await request(app).delete('/__admin/journal')
    expect((await request(app).get('/__admin/journal')).body.entries).toHaveLength(0)
  })

  it('exports, imports and resets state', async () => {
    const { app, emulator } = setup()
    await request(app).post('/__admin/devices').send({ serialNumber: 'KEEP1' })
    const snapshot = await request(app).get('/__admin/snapshot')
    expect(snapshot.body.tenants[0].clients[0].clientSecret).toBe('secret-a')
    await request(app).post('/__admin/reset')
    expect(emulator.tenant().findBySerial('KEEP1')).toHaveLength(0)
    const restored = await request(app).put('/__admin/snapshot').send(snapshot.body)
    expect(restored.status).toBe(200)
    expect(emulator.tenant().findBySerial('KEEP1')).toHaveLength(1)
    const invalid = await request(app).put('/__admin/snapshot').send({ tenants: [] })
    expect(invalid.status).toBe(400)
    expect(invalid.body.message).toContain('format')
  })

  it('answers unknown control routes with JSON 404', async () => {
    const { app } = setup()
    const response = await request(app).get('/__admin/nothing')
    expect(response.status).toBe(404)
    expect(response.body.error).toBe('not_found')
  })
})

describe('control API admin token', () => {
  it('rejects requests without the token', async () => {
    const { app } = setup({ adminToken: 'admin-secret' })
    const missing = await request(app).get('/__admin/tenants')
    expect(missing.status).toBe(401)
    expect(missing.body.error).toBe('unauthorized')
    const wrong = await request(app).get('/__admin/tenants').set('Authorization', 'Bearer nope')
    expect(wrong.status).toBe(401)
    const right = await request(app).get('/__admin/tenants').set('Authorization', 'Bearer admin-secret')
    expect(right.status).toBe(200)
  })

  it('keeps the admin token out of the journal', async () => {
    const { app, emulator } = setup({ adminToken: 'admin-secret' })
    await request(app).get('/__admin/tenants').set('Authorization', 'Bearer admin-secret')
    await request(app).get('/API/system/info').set('Authorization', 'Bearer admin-secret')
    expect(JSON.stringify(emulator.journal())).not.toContain('admin-secret')
  })
})
