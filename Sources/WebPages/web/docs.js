"use strict";
// The docs page: renders the server's OpenAPI 3 or Swagger 2.0 document (every route, its
// parameters, request and response schemas and examples) with a "try it" form per route.
(() => {
  const {el, clear} = Page;
  const {refName, objectShape, exampleOf} = Page.schema;

  // MARK: Schemas and examples

  function typeLabel(schema, resolve) {
    const name = refName(schema);
    const s = resolve(schema) || {};
    let label;
    if (s.type === "array") label = `array of ${typeLabel(s.items || {}, resolve)}`;
    else if (s.oneOf || s.anyOf) label = `one of ${(s.oneOf || s.anyOf).map(x => typeLabel(x, resolve)).join(" | ")}`;
    else if (s.type) label = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
    else if (s.properties || s.allOf) label = "object";
    else label = "any";
    if (s.format) label += ` (${s.format === "binary" ? "file" : s.format})`;
    if (s.nullable) label += ", nullable";
    return name ? `${name}: ${label}` : label;
  }

  function constraints(s) {
    const notes = [];
    if (s.enum) notes.push(`one of ${s.enum.map(v => JSON.stringify(v)).join(", ")}`);
    if (s.minimum !== undefined) notes.push(`minimum ${s.minimum}`);
    if (s.maximum !== undefined) notes.push(`maximum ${s.maximum}`);
    if (s.minItems !== undefined) notes.push(`at least ${s.minItems} items`);
    if (s.maxItems !== undefined) notes.push(`at most ${s.maxItems} items`);
    if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
    if (s.example !== undefined) notes.push(`example ${JSON.stringify(s.example)}`);
    return notes;
  }

  /// A schema as a nested list of its fields, each with type, "required", description and
  /// constraints. `seen` holds the references on the current branch, so cycles stop.
  function schemaView(schema, resolve, seen = new Set()) {
    const s = resolve(schema) || {};
    const name = refName(schema);
    if (name && seen.has(name)) return el("p", {class: "schema-note", text: `${name} (recursive, see above)`});
    const branch = new Set(seen);
    if (name) branch.add(name);
    const item = s.type === "array" ? s.items || {} : null;
    const target = item || schema;
    const shape = objectShape(target, resolve);
    const fields = Object.entries(shape.properties);
    const container = el("div", {class: "schema"});
    container.append(el("p", {class: "schema-type"}, el("code", {text: typeLabel(schema, resolve)})));
    if (s.description && !fields.length) container.append(el("p", {class: "muted", text: s.description}));
    if (fields.length) {
      const list = el("ul", {class: "fields"});
      for (const [field, fieldSchema] of fields) {
        const fs = resolve(fieldSchema) || {};
        const nested = fs.type === "array" ? resolve(fs.items || {}) || {} : fs;
        const line = el("li", {},
          el("code", {class: "field-name", text: field}), " ",
          el("span", {class: "field-type", text: typeLabel(fieldSchema, resolve)}),
          shape.required.includes(field) ? el("span", {class: "badge required", text: "required"}) : null,
          fs.description ? el("span", {class: "field-description", text: ` ${fs.description}`}) : null,
          constraints(fs).length ? el("span", {class: "muted", text: ` (${constraints(fs).join("; ")})`}) : null);
        if (nested.properties || nested.allOf) line.append(schemaView(fs.type === "array" ? fs.items : fieldSchema, resolve, branch));
        list.append(line);
      }
      container.append(list);
    } else if (shape.additional && typeof shape.additional === "object") {
      container.append(el("p", {class: "muted", text: `a map of names to ${typeLabel(shape.additional, resolve)}`}));
    }
    return container;
  }

  // MARK: Rendering

  function slug(text) {
    return String(text).replace(/[^A-Za-z0-9_-]+/g, "-");
  }

  function render(api, specURL) {
    document.title = api.title;
    document.getElementById("api-title").textContent = api.title;
    const meta = [api.version ? `version ${api.version}` : null, api.openapi,
                  `${api.operations.length} route${api.operations.length === 1 ? "" : "s"}`].filter(Boolean);
    document.getElementById("api-meta").textContent = meta.join(" · ");
    const description = document.getElementById("api-description");
    clear(description);
    for (const paragraph of api.description.split(/\n\s*\n/).filter(Boolean)) description.append(el("p", {text: paragraph}));
    const links = document.getElementById("site-links");
    if (document.body.dataset.app) links.append(el("li", {}, el("a", {href: document.body.dataset.app, text: "Demo app"})));

    const routes = clear(document.getElementById("routes"));
    const toc = document.getElementById("toc-list");
    clear(toc);
    api.operations.forEach((operation, index) => { operation.anchor = `op-${slug(operation.id)}-${index}`; });
    for (const tag of api.tags) {
      const operations = api.operations.filter(op => op.tags[0] === tag.name);
      if (!operations.length) continue;
      const headingID = `tag-${slug(tag.name)}`;
      const group = el("section", {class: "tag-group", "aria-labelledby": headingID},
        el("h2", {id: headingID, text: tag.name}),
        tag.description ? el("p", {class: "muted", text: tag.description}) : null);
      const tocGroup = el("li", {class: "toc-group"}, el("span", {class: "toc-tag", text: tag.name}));
      const tocList = el("ul");
      for (const operation of operations) {
        group.append(operationView(operation, api));
        tocList.append(el("li", {dataset: {anchor: operation.anchor}},
          el("a", {href: `#${operation.anchor}`},
            el("span", {class: `method method-${operation.method}`, text: operation.method.toUpperCase()}), " ",
            el("code", {text: operation.path}))));
      }
      tocGroup.append(tocList);
      toc.append(tocGroup);
      routes.append(group);
    }
    document.getElementById("toc").hidden = false;
    document.getElementById("filter").addEventListener("input", event => filter(event.target.value));
    window.addEventListener("hashchange", openFromHash);
    openFromHash();
  }

  function filter(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    for (const section of document.querySelectorAll(".operation")) {
      const haystack = section.dataset.search;
      const visible = words.every(word => haystack.includes(word));
      section.hidden = !visible;
      const entry = document.querySelector(`#toc-list li[data-anchor="${section.id}"]`);
      if (entry) entry.hidden = !visible;
    }
    for (const group of document.querySelectorAll(".tag-group")) {
      group.hidden = !group.querySelector(".operation:not([hidden])");
    }
  }

  function openFromHash() {
    const id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    const section = document.getElementById(id);
    if (section && section.classList.contains("operation")) {
      section.querySelector("details").open = true;
      section.querySelector("summary").focus();
    }
  }

  function operationView(op, api) {
    const resolve = api.resolve;
    const section = el("section", {class: "operation", id: op.anchor,
                                   dataset: {route: `${op.method.toUpperCase()} ${op.path}`,
                                             search: `${op.method} ${op.path} ${op.summary} ${op.id}`.toLowerCase()}});
    const details = el("details", {},
      el("summary", {},
        el("span", {class: `method method-${op.method}`, text: op.method.toUpperCase()}), " ",
        el("code", {class: "path", text: op.path}), " ",
        el("span", {class: "summary-text", text: op.summary}),
        op.deprecated ? el("span", {class: "badge", text: "deprecated"}) : null));
    const body = el("div", {class: "operation-body"});
    body.append(el("p", {class: "muted"}, "operationId ", el("code", {text: op.id})));
    if (op.description) body.append(el("p", {text: op.description}));

    if (op.parameters.length) {
      const rows = op.parameters.map(p => el("tr", {},
        el("th", {scope: "row"}, el("code", {text: p.name})),
        el("td", {text: p.in}),
        el("td", {}, el("code", {text: typeLabel(p.schema, resolve)})),
        el("td", {text: p.required ? "yes" : "no"}),
        el("td", {text: [p.description, ...constraints(resolve(p.schema) || {})].filter(Boolean).join(". ")})));
      body.append(el("h3", {text: "Parameters"}),
        el("div", {class: "table-scroll"}, el("table", {},
          el("thead", {}, el("tr", {}, ["Name", "In", "Type", "Required", "Description"].map(h => el("th", {scope: "col", text: h})))),
          el("tbody", {}, rows))));
    }
    if (op.body) {
      body.append(el("h3", {text: op.body.required ? "Request body (required)" : "Request body"}));
      if (op.body.description) body.append(el("p", {text: op.body.description}));
      for (const group of sameShape(op.body.contents)) body.append(mediaView(group, resolve));
    }
    body.append(el("h3", {text: "Responses"}));
    for (const response of op.responses) {
      const block = el("div", {class: "response"},
        el("h4", {}, el("span", {class: `status status-${String(response.code)[0]}`, text: response.code}), ` ${response.description}`));
      for (const header of response.headers) block.append(el("p", {class: "muted"}, "Header ", el("code", {text: header.name}), ` ${header.description}`));
      for (const group of sameShape(response.contents)) block.append(mediaView(group, resolve));
      body.append(block);
    }
    body.append(tryItForm(op, api));
    details.append(body);
    section.append(details);
    return section;
  }

  /// Media types with the same schema and example shown once (a dozen image types are one "file").
  function sameShape(contents) {
    const groups = [];
    for (const content of contents) {
      const key = JSON.stringify([content.schema, content.example]);
      const group = groups.find(g => g.key === key);
      if (group) group.types.push(content.type);
      else groups.push(Object.assign({key, types: [content.type]}, content));
    }
    return groups;
  }

  function mediaView(content, resolve) {
    const types = content.types || [content.type];
    const view = el("div", {class: "media"}, el("p", {class: "media-type"},
      types.map((type, index) => [index ? ", " : null, el("code", {text: type})])));
    const schema = resolve(content.schema) || {};
    const hasSchema = Object.keys(schema).length > 0;
    if (hasSchema) view.append(schemaView(content.schema, resolve));
    const example = content.example !== undefined ? content.example : hasSchema && /json/.test(content.type) ? exampleOf(content.schema, resolve) : undefined;
    if (example !== undefined) {
      view.append(el("p", {class: "example-title", text: "Example"}),
        el("pre", {tabindex: "0", class: "example"}, el("code", {text: typeof example === "string" ? example : JSON.stringify(example, null, 2)})));
    }
    return view;
  }

  // MARK: Try it

  function isJSONType(type) { return /(^|\/|\+)json$/i.test(type.split(";")[0].trim()); }
  function isFormType(type) { return /multipart\/form-data|x-www-form-urlencoded/i.test(type); }

  function fieldControl(id, name, schema, required, resolve) {
    const s = resolve(schema) || {};
    const items = s.type === "array" ? resolve(s.items || {}) || {} : null;
    if (s.format === "binary" || (items && items.format === "binary")) {
      return el("input", {id, name, type: "file", required, multiple: !!items, dataset: {kind: "file"}});
    }
    if (s.enum || s.type === "boolean") {
      const values = s.enum || [true, false];
      return el("select", {id, name, required},
        required ? null : el("option", {value: "", text: "(not sent)"}),
        values.map(v => el("option", {value: String(v), text: String(v), selected: s.default === v})));
    }
    const type = s.type === "integer" || s.type === "number" ? "number" : "text";
    return el("input", {id, name, type, required, step: s.type === "number" ? "any" : null,
                        min: s.minimum, max: s.maximum,
                        placeholder: s.default !== undefined ? String(s.default) : s.example !== undefined ? String(s.example) : null});
  }

  function labelled(id, name, detail, control, required) {
    return el("div", {class: "field"},
      el("label", {for: id}, el("code", {text: name}), " ", el("span", {class: "muted", text: detail}),
         required ? el("span", {class: "badge required", text: "required"}) : null),
      control);
  }

  function tryItForm(op, api) {
    const resolve = api.resolve;
    const prefix = `${op.anchor}-try`;
    const form = el("form", {class: "try", dataset: {operation: op.id}});
    form.append(el("h3", {text: "Try it"}));
    for (const p of op.parameters) {
      const id = `${prefix}-${p.in}-${slug(p.name)}`;
      form.append(labelled(id, p.name, `${p.in}, ${typeLabel(p.schema, resolve)}`,
                           fieldControl(id, `${p.in}:${p.name}`, p.schema, p.required, resolve), p.required));
    }
    const bodies = op.body ? op.body.contents : [];
    let chooser = null;
    const bodyFieldsets = bodies.map((content, index) => {
      const fieldset = el("fieldset", {class: "body-fields", dataset: {type: content.type}, hidden: index > 0},
        el("legend", {}, "Body as ", el("code", {text: content.type})));
      if (isFormType(content.type)) {
        const shape = objectShape(content.schema, resolve);
        for (const [name, field] of Object.entries(shape.properties)) {
          const id = `${prefix}-b${index}-${slug(name)}`;
          const required = shape.required.includes(name);
          const control = fieldControl(id, `form:${name}`, field, required, resolve);
          fieldset.append(labelled(id, name, typeLabel(field, resolve), control, required));
        }
      } else if (isJSONType(content.type) || /^text\//.test(content.type)) {
        const id = `${prefix}-b${index}-text`;
        const example = content.example !== undefined ? content.example : exampleOf(content.schema, resolve);
        const text = typeof example === "string" ? example : JSON.stringify(example, null, 2);
        fieldset.append(el("div", {class: "field"},
          el("label", {for: id, text: isJSONType(content.type) ? "JSON body" : "Body text"}),
          el("textarea", {id, name: "body:text", rows: Math.min(14, Math.max(4, text.split("\n").length + 1)), spellcheck: "false", text})));
      } else {
        const id = `${prefix}-b${index}-file`;
        fieldset.append(labelled(id, "body", `${content.type} file`,
                                 el("input", {id, name: "body:file", type: "file", required: op.body.required, dataset: {kind: "file"}}), op.body.required));
      }
      return fieldset;
    });
    if (bodies.length > 1) {
      const id = `${prefix}-content-type`;
      chooser = el("select", {id, on: {change: () => bodyFieldsets.forEach((f, i) => { f.hidden = i !== chooser.selectedIndex; setDisabled(f, f.hidden); })}},
        bodies.map(content => el("option", {value: content.type, text: content.type})));
      form.append(el("div", {class: "field"}, el("label", {for: id, text: "Send the body as"}), chooser));
    }
    bodyFieldsets.forEach((f, i) => { setDisabled(f, i > 0); form.append(f); });
    const button = el("button", {type: "submit", class: "primary", text: "Send"});
    const output = el("div", {class: "try-result", "aria-live": "polite"});
    form.append(el("div", {class: "actions"}, button), output);
    form.addEventListener("submit", async event => {
      event.preventDefault();
      const active = bodyFieldsets.find(f => !f.hidden) || null;
      button.disabled = true;
      output.dataset.state = "sending";
      delete output.dataset.status;
      clear(output).append(el("p", {class: "muted", text: "Sending…"}));
      try {
        const request = buildRequest(op, api, form, active);
        const started = performance.now();
        const response = await fetch(request.url, request.init);
        const bytes = new Uint8Array(await response.arrayBuffer());
        showResponse(output, request, response, bytes, performance.now() - started);
        output.dataset.state = "done";
      } catch (error) {
        clear(output).append(el("p", {class: "error-text", text: `The request failed: ${error.message}`}));
        output.dataset.state = "failed";
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function setDisabled(fieldset, disabled) { fieldset.disabled = disabled; }

  function buildRequest(op, api, form, fieldset) {
    let path = op.path;
    const query = new URLSearchParams();
    const headers = new Headers();
    const curl = [];
    for (const p of op.parameters) {
      const control = form.elements.namedItem(`${p.in}:${p.name}`);
      const value = control ? control.value : "";
      if (value === "") continue;
      if (p.in === "path") path = path.replace(`{${p.name}}`, encodeURIComponent(value));
      else if (p.in === "query") query.append(p.name, value);
      else if (p.in === "header") { headers.set(p.name, value); curl.push(`-H ${shellQuote(`${p.name}: ${value}`)}`); }
    }
    const search = query.toString();
    const url = `${api.base}${path}${search ? `?${search}` : ""}`;
    const init = {method: op.method.toUpperCase(), headers};
    if (fieldset) {
      const type = fieldset.dataset.type;
      if (isFormType(type)) {
        const data = new FormData();
        for (const control of fieldset.querySelectorAll("[name^='form:']")) {
          const name = control.name.slice(5);
          if (control.dataset.kind === "file") {
            for (const file of control.files) { data.append(name, file, file.name); curl.push(`-F ${shellQuote(`${name}=@${file.name}`)}`); }
          } else if (control.value !== "") {
            data.append(name, control.value);
            curl.push(`-F ${shellQuote(`${name}=${control.value}`)}`);
          }
        }
        if (/urlencoded/.test(type)) init.body = new URLSearchParams(data); else init.body = data;
      } else {
        const text = fieldset.querySelector("[name='body:text']");
        const file = fieldset.querySelector("[name='body:file']");
        if (text) {
          if (isJSONType(type)) JSON.parse(text.value); // a typo is reported here, before sending
          init.body = text.value;
          headers.set("Content-Type", type);
          curl.push(`-H ${shellQuote(`Content-Type: ${type}`)}`, `--data-binary ${shellQuote(text.value)}`);
        } else if (file && file.files.length) {
          const chosen = file.files[0];
          init.body = chosen;
          headers.set("Content-Type", /\*/.test(type) ? chosen.type || "application/octet-stream" : type);
          curl.push(`-H ${shellQuote(`Content-Type: ${headers.get("Content-Type")}`)}`, `--data-binary @${shellQuote(chosen.name)}`);
        }
      }
    }
    const absolute = new URL(url, location.href).href;
    const command = ["curl", init.method === "GET" ? null : `-X ${init.method}`, shellQuote(absolute), ...curl].filter(Boolean).join(" ");
    return {url, init, curl: command};
  }

  function shellQuote(text) {
    return /^[A-Za-z0-9_\/:.=@,+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
  }

  function showResponse(output, request, response, bytes, milliseconds) {
    clear(output);
    const type = response.headers.get("Content-Type") || "";
    output.dataset.status = String(response.status);
    output.append(el("p", {class: `status-line ${response.ok ? "ok" : "failed"}`},
      el("span", {class: `status status-${String(response.status)[0]}`, text: String(response.status)}),
      ` ${response.statusText} · ${milliseconds.toFixed(0)} ms · ${Page.formatBytes(bytes.length)}`));
    const headerLines = [];
    response.headers.forEach((value, name) => headerLines.push(`${name}: ${value}`));
    output.append(el("h4", {text: "Response headers"}), el("pre", {tabindex: "0", class: "headers"}, el("code", {text: headerLines.join("\n")})));
    output.append(el("h4", {text: "Response body"}));
    if (/^image\//.test(type)) {
      const url = URL.createObjectURL(new Blob([bytes], {type}));
      output.append(el("img", {class: "response-image", src: url, alt: `the ${type} image the server answered`}));
    } else if (bytes.length === 0) {
      output.append(el("p", {class: "muted", text: "(empty)"}));
    } else if (/json|text|xml|javascript/.test(type) || type === "") {
      const text = new TextDecoder().decode(bytes);
      output.append(el("pre", {tabindex: "0", class: "body"}, el("code", {class: "response-body", text: /json/.test(type) ? Page.prettyJSON(text) : text})));
    } else {
      output.append(el("p", {class: "muted", text: `${bytes.length} bytes of ${type}`}));
    }
    output.append(el("h4", {text: "As a curl command"}), el("pre", {tabindex: "0", class: "curl"}, el("code", {text: request.curl})));
  }

  // MARK: Start

  async function start() {
    const status = document.getElementById("load-status");
    try {
      const {url, document: spec} = await Page.loadSpec();
      const api = Page.readSpec(spec);
      render(api, url);
      status.textContent = "";
      status.hidden = true;
      document.body.dataset.ready = "true";
    } catch (error) {
      status.textContent = `Could not read the API description: ${error.message}`;
      status.classList.add("error-text");
      document.body.dataset.ready = "failed";
    }
  }

  start();
})();
