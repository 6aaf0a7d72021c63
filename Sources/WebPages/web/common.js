"use strict";
// Helpers shared by the docs page and the demo app: building elements, reading the OpenAPI
// document the server names, formatting. No framework, no request to any other origin.
const Page = (() => {
  /// el("p", {class: "x", text: "hi", on: {click: f}}, child, ...): an element with attributes,
  /// event handlers and children (strings become text nodes, null/false are skipped).
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (value === true) node.setAttribute(name, "");
      else node.setAttribute(name, String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /// The API description the server named on <body data-spec>: OpenAPI 3 or Swagger 2.
  async function loadSpec() {
    const url = document.body.dataset.spec || "swagger.json";
    const response = await fetch(url, {headers: {Accept: "application/json"}});
    if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`);
    return {url, document: await response.json()};
  }

  /// JSON pretty-printed when `text` is JSON, else `text` unchanged.
  function prettyJSON(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (error) { return text; }
  }

  function formatBytes(count) {
    if (count < 1024) return `${count} B`;
    if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
    return `${(count / 1024 / 1024).toFixed(1)} MiB`;
  }

  function percent(probability) {
    const value = probability * 100;
    if (value >= 99.95 || value === 0) return `${value.toFixed(0)} %`;
    if (value < 0.1) return "< 0.1 %";
    return `${value.toFixed(1)} %`;
  }

  /// A message from a MAX error body ({"status": "error", "message": ...}) or other JSON errors.
  function errorMessage(body, fallback) {
    if (body && typeof body === "object") {
      for (const key of ["message", "detail", "error"]) if (typeof body[key] === "string") return body[key];
    }
    return fallback;
  }


  // MARK: OpenAPI schemas (shared by the docs page and the app)

  /// An object with `$ref`s followed (local references only, as our documents use).
  function makeResolver(root) {
    return function resolve(node, depth = 0) {
      while (node && typeof node === "object" && typeof node.$ref === "string" && depth < 32) {
        const pointer = node.$ref;
        if (!pointer.startsWith("#/")) return {description: `external reference ${pointer} (not shown)`};
        let target = root;
        for (const part of pointer.slice(2).split("/")) {
          const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
          target = target && typeof target === "object" ? target[key] : undefined;
        }
        if (target === undefined) return {description: `unresolved reference ${pointer}`};
        node = target;
        depth += 1;
      }
      return node;
    };
  }

  function refName(node) {
    return node && typeof node.$ref === "string" ? node.$ref.split("/").pop() : null;
  }

  /// Properties of an object schema, `allOf` members merged.
  function objectShape(schema, resolve) {
    const s = resolve(schema) || {};
    const shape = {properties: Object.assign({}, s.properties || {}), required: [...(s.required || [])],
                   additional: s.additionalProperties};
    for (const part of s.allOf || []) {
      const sub = objectShape(part, resolve);
      Object.assign(shape.properties, sub.properties);
      shape.required.push(...sub.required);
    }
    return shape;
  }

  /// A plausible value for `schema`: its example, default or first enum value, else one made
  /// from its type.
  function exampleOf(schema, resolve, depth = 0) {
    const s = resolve(schema) || {};
    if (depth > 8) return null;
    if (s.example !== undefined) return s.example;
    if (s.default !== undefined) return s.default;
    if (s.enum && s.enum.length) return s.enum[0];
    if (s.oneOf || s.anyOf) return exampleOf((s.oneOf || s.anyOf)[0], resolve, depth + 1);
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === "array") return [exampleOf(s.items || {}, resolve, depth + 1)];
    if (type === "object" || s.properties || s.allOf) {
      const shape = objectShape(schema, resolve);
      const value = {};
      for (const [name, field] of Object.entries(shape.properties)) value[name] = exampleOf(field, resolve, depth + 1);
      return value;
    }
    if (type === "integer") return s.minimum !== undefined ? s.minimum : 0;
    if (type === "number") return s.minimum !== undefined ? s.minimum : 0.5;
    if (type === "boolean") return true;
    if (type === "string") {
      if (s.format === "binary") return "(file)";
      if (s.format === "date-time") return "2026-01-01T00:00:00Z";
      return "string";
    }
    return null;
  }

  // MARK: Reading the document (OpenAPI 3 or Swagger 2.0, into one shape)

  const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

  /// One model of the document, whichever version it is:
  /// {title, version, description, base, tags, operations: [{id, method, path, summary,
  ///  description, tags, parameters, body, responses}]}.
  function readSpec(spec) {
    const resolve = makeResolver(spec);
    const isSwagger2 = typeof spec.swagger === "string";
    const info = spec.info || {};
    let base = "";
    if (isSwagger2) base = spec.basePath || "";
    else if (Array.isArray(spec.servers) && spec.servers.length && typeof spec.servers[0].url === "string") base = spec.servers[0].url;
    if (/^https?:/i.test(base)) base = new URL(base).pathname; // same origin: this page is served by the API itself
    base = base.replace(/\/+$/, "");

    const operations = [];
    for (const [path, rawItem] of Object.entries(spec.paths || {})) {
      const item = resolve(rawItem) || {};
      for (const method of METHODS) {
        const rawOperation = item[method];
        if (!rawOperation) continue;
        const operation = resolve(rawOperation);
        const parameters = mergeParameters(item.parameters, operation.parameters, resolve);
        const entry = {
          id: operation.operationId || `${method}_${path}`,
          method, path,
          summary: operation.summary || "",
          description: operation.description || "",
          tags: operation.tags && operation.tags.length ? operation.tags : ["default"],
          deprecated: !!operation.deprecated,
          security: operation.security || spec.security || null,
          parameters: [], body: null, responses: [],
        };
        if (isSwagger2) swagger2Operation(spec, operation, parameters, entry, resolve);
        else openapi3Operation(operation, parameters, entry, resolve);
        operations.push(entry);
      }
    }
    const declaredTags = (spec.tags || []).map(tag => ({name: tag.name, description: tag.description || ""}));
    for (const operation of operations) {
      for (const name of operation.tags) if (!declaredTags.some(tag => tag.name === name)) declaredTags.push({name, description: ""});
    }
    return {
      title: info.title || "API", version: info.version || "", description: info.description || "",
      openapi: isSwagger2 ? `Swagger ${spec.swagger}` : `OpenAPI ${spec.openapi || "?"}`,
      base, tags: declaredTags, operations, resolve,
    };
  }

  function mergeParameters(pathLevel, operationLevel, resolve) {
    const merged = [];
    for (const raw of [...(pathLevel || []), ...(operationLevel || [])]) {
      const parameter = resolve(raw);
      const index = merged.findIndex(p => p.name === parameter.name && p.in === parameter.in);
      if (index >= 0) merged[index] = parameter; else merged.push(parameter);
    }
    return merged;
  }

  function openapi3Operation(operation, parameters, entry, resolve) {
    entry.parameters = parameters.map(p => ({
      name: p.name, in: p.in, required: !!p.required || p.in === "path", description: p.description || "",
      schema: p.schema || (p.content ? Object.values(p.content)[0].schema : {}) || {},
      example: p.example,
    }));
    if (operation.requestBody) {
      const body = resolve(operation.requestBody);
      entry.body = {
        required: !!body.required, description: body.description || "",
        contents: Object.entries(body.content || {}).map(([type, media]) => ({type, schema: media.schema || {}, example: mediaExample(media)})),
      };
    }
    for (const [code, rawResponse] of Object.entries(operation.responses || {})) {
      const response = resolve(rawResponse);
      entry.responses.push({
        code, description: response.description || "",
        headers: Object.entries(response.headers || {}).map(([name, header]) => ({name, description: resolve(header).description || ""})),
        contents: Object.entries(response.content || {}).map(([type, media]) => ({type, schema: media.schema || {}, example: mediaExample(media)})),
      });
    }
  }

  function mediaExample(media) {
    if (media.example !== undefined) return media.example;
    if (media.examples) {
      const first = Object.values(media.examples)[0];
      if (first && first.value !== undefined) return first.value;
    }
    return undefined;
  }

  function swagger2Operation(spec, operation, parameters, entry, resolve) {
    const consumes = operation.consumes || spec.consumes || ["application/json"];
    const produces = operation.produces || spec.produces || ["application/json"];
    const form = {type: "object", properties: {}, required: []};
    for (const p of parameters) {
      if (p.in === "body") {
        entry.body = {
          required: !!p.required, description: p.description || "",
          contents: consumes.filter(type => !/form/.test(type)).map(type => ({type, schema: p.schema || {}, example: undefined})),
        };
        if (!entry.body.contents.length) entry.body.contents.push({type: "application/json", schema: p.schema || {}, example: undefined});
      } else if (p.in === "formData") {
        form.properties[p.name] = Object.assign(swagger2Schema(p), {description: p.description || ""});
        if (p.required) form.required.push(p.name);
      } else {
        entry.parameters.push({name: p.name, in: p.in, required: !!p.required || p.in === "path",
                               description: p.description || "", schema: swagger2Schema(p), example: p["x-example"]});
      }
    }
    if (Object.keys(form.properties).length) {
      const formType = consumes.find(type => /multipart\/form-data|x-www-form-urlencoded/.test(type)) || "multipart/form-data";
      entry.body = {required: form.required.length > 0, description: "", contents: [{type: formType, schema: form, example: undefined}]};
    }
    for (const [code, rawResponse] of Object.entries(operation.responses || {})) {
      const response = resolve(rawResponse);
      const examples = response.examples || {};
      const contents = response.schema
        ? produces.map(type => ({type, schema: response.schema, example: examples[type]}))
        : Object.entries(examples).map(([type, example]) => ({type, schema: {}, example}));
      entry.responses.push({
        code, description: response.description || "",
        headers: Object.entries(response.headers || {}).map(([name, header]) => ({name, description: header.description || ""})),
        contents,
      });
    }
  }

  /// A Swagger 2.0 non-body parameter as a JSON schema.
  function swagger2Schema(p) {
    if (p.type === "file") return {type: "string", format: "binary"};
    const schema = {};
    for (const key of ["type", "format", "items", "enum", "default", "minimum", "maximum", "pattern", "minLength", "maxLength"]) {
      if (p[key] !== undefined) schema[key] = p[key];
    }
    return schema;
  }

  return {el, append, clear, loadSpec, readSpec, prettyJSON, formatBytes, percent, errorMessage,
          schema: {makeResolver, refName, objectShape, exampleOf}};
})();
