import fs from 'node:fs'
import path from 'node:path'
import Ajv from 'ajv'
import { parse } from 'yaml'
import { editorSchema } from './schema'

const SCHEMA_FILE = path.join(__dirname, '..', 'scenarios', 'schema.json')

describe('scenario schema', () => {
  // Regenerate after a schema change with:
  // node -e "require('./dist/harness').writeSchemaFile('scenarios/schema.json')" (after npm run build)
  test('committed schema.json matches the code', () => {
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(editorSchema())
  })

  test('editor schema accepts bundled files as written', () => {
    const validate = new Ajv({ allowUnionTypes: true, strict: false }).compile(editorSchema())
    const dir = path.dirname(SCHEMA_FILE)
    for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.yaml'))) {
      const documents = parse(fs.readFileSync(path.join(dir, name), 'utf8'), { merge: true }) as unknown
      expect([name, validate(documents)]).toEqual([name, true])
    }
  })
})
