// Validates every GraphQL operation of the client against the server's committed schema
// (../schema.graphql), so that a schema change that breaks the client fails its build.
// Operations are the gql`…` templates (their ${FRAGMENT} interpolations dropped: every fragment
// of the client is made available to every operation) and plain query strings.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, Kind, NoUnusedFragmentsRule, parse, specifiedRules, validate } from "graphql";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const schema = buildSchema(readFileSync(join(web, "..", "schema.graphql"), "utf8"));

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name)) files.push(path);
  }
};
walk(join(web, "src"));

const documents = [];
for (const file of files) {
  const source = readFileSync(file, "utf8");
  for (const m of source.matchAll(/gql`([\s\S]*?)`/g)) {
    documents.push({ file, ast: parse(m[1].replace(/\$\{\w+\}/g, "")) });
  }
  for (const m of source.matchAll(/"((?:query|mutation|subscription) [^"]*)"/g)) {
    documents.push({ file, ast: parse(m[1]) });
  }
}

const fragments = new Map();
for (const { ast } of documents) {
  for (const def of ast.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
}
const rules = specifiedRules.filter((rule) => rule !== NoUnusedFragmentsRule);
let operations = 0;
let failed = 0;
for (const { file, ast } of documents) {
  for (const def of ast.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    operations++;
    const doc = { kind: Kind.DOCUMENT, definitions: [def, ...fragments.values()] };
    for (const error of validate(schema, doc, rules)) {
      failed++;
      console.error(`${relative(web, file)}: ${def.name?.value ?? "(anonymous)"}: ${error.message}`);
    }
  }
}
if (failed) {
  console.error(`${failed} problem(s) in the client's operations against schema.graphql`);
  process.exit(1);
}
console.log(`${operations} operations valid against schema.graphql`);
