// Renders the OpenAPI document as one static HTML page: operations grouped by tag, with parameters,
// request bodies and responses. No scripts, no external assets.
type Json = Record<string, unknown>;

const esc = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function schemaText(schema: unknown, components: Json, depth = 0): string {
  if (!schema || typeof schema !== 'object' || depth > 4) return '';
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!;
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if (s.type === 'array') return `array of ${schemaText(s.items, components, depth + 1)}`;
  if (s.type === 'object' && s.properties) {
    const required = new Set((s.required as string[] | undefined) ?? []);
    const rows = Object.entries(s.properties as Json)
      .map(
        ([name, prop]) =>
          `<li><code>${esc(name)}</code>${required.has(name) ? '' : ' <em>optional</em>'}: ${schemaText(prop, components, depth + 1)}${
            (prop as Json).description ? ` — ${esc((prop as Json).description)}` : ''
          }</li>`,
      )
      .join('');
    return `object<ul>${rows}</ul>`;
  }
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => `<code>${esc(v)}</code>`).join(', ')}`;
  if (Array.isArray(s.anyOf)) return s.anyOf.map((v) => schemaText(v, components, depth + 1)).join(' or ');
  const type = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? 'any');
  return `${esc(type)}${s.format ? ` (${esc(s.format)})` : ''}`;
}

export function renderDocsPage(doc: Json): string {
  const info = doc.info as Json;
  const components = ((doc.components as Json | undefined)?.schemas as Json | undefined) ?? {};
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries((doc.paths as Json) ?? {})) {
    for (const [method, op] of Object.entries(item as Json)) {
      const operation = op as Json;
      const tag = ((operation.tags as string[] | undefined) ?? ['Other'])[0]!;
      const params = ((operation.parameters as Json[] | undefined) ?? [])
        .map(
          (p) =>
            `<li><code>${esc(p.name)}</code> (${esc(p.in)})${p.required ? '' : ' <em>optional</em>'}: ${schemaText(p.schema, components)}${
              (p.schema as Json | undefined)?.description ? ` — ${esc((p.schema as Json).description)}` : ''
            }</li>`,
        )
        .join('');
      const body = ((operation.requestBody as Json | undefined)?.content as Json | undefined)?.[
        'application/json'
      ] as Json | undefined;
      const responses = Object.entries((operation.responses as Json) ?? {})
        .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc((r as Json).description)}</li>`)
        .join('');
      const html = `<section class="op"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(operation.summary)}</p>
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
${body ? `<h4>Request body (application/json)</h4><div>${schemaText(body.schema, components)}</div>` : ''}
<h4>Responses</h4><ul>${responses}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag]
    .map(([tag, ops]) => `<h2 id="${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}`)
    .join('\n');
  const schemas = Object.entries(components)
    .map(
      ([name, schema]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${schemaText(schema, components)}</section>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)}</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#1b1f24}
code{background:#f3f4f6;padding:0 .25em;border-radius:3px}.op{border:1px solid #e5e7eb;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
.m{font-weight:700;font-family:monospace}.get{color:#0a7}.post{color:#06c}.patch{color:#b70}.delete{color:#c22}h4{margin:.5rem 0 .2rem}
</style></head><body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${sections}<h2>Schemas</h2>${schemas}</body></html>`;
}
