// Runs every GraphQL-over-HTTP server audit from the `graphql-http` package against
// SOUNDROOM_URL (default http://127.0.0.1:8000/graphql) and fails unless all MUST and SHOULD
// audits pass. Usage: node audit.mjs [url]
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.SOUNDROOM_URL || 'http://127.0.0.1:8000/graphql';
const results = await auditServer({ url });

const tally = {};
const failures = [];
for (const r of results) {
  const level = r.name.split(' ')[0]; // MUST, SHOULD or MAY
  tally[level] ??= { ok: 0, total: 0 };
  tally[level].total += 1;
  if (r.status === 'ok') tally[level].ok += 1;
  else if (level !== 'MAY') failures.push(r);
  else console.log(`(MAY, not required) ${r.id} ${r.name}: ${r.reason}`);
}
for (const f of failures) console.log(`FAIL ${f.id} ${f.name}: ${f.reason}`);
const ok = results.filter((r) => r.status === 'ok').length;
for (const [level, t] of Object.entries(tally)) console.log(`${level}: ${t.ok}/${t.total}`);
console.log(`graphql-http audits: ${ok}/${results.length} passed`);
console.log(`${ok} passed, ${results.length - ok} failed`);
process.exit(failures.length === 0 ? 0 : 1);
