// Generate src/schema.d.ts (the API's types) from openapi.json, which the repository's
// scripts/openapi.py writes from the server. Arguments: [input] [output] (the drift test
// generates into a temporary directory and compares).
import { readFile, writeFile } from "node:fs/promises";

import openapiTS, { astToString } from "openapi-typescript";

const [input = "openapi.json", output = "src/schema.d.ts"] = process.argv.slice(2);
const document = JSON.parse(await readFile(input, "utf8"));
// a default makes a field optional in requests; responses already list it as required
const ast = await openapiTS(document, { defaultNonNullable: false });
const header = "// Generated from openapi.json by scripts/generate.mjs (npm run generate): do not edit.\n\n";
await writeFile(output, header + astToString(ast));
console.log(`wrote ${output}`);
