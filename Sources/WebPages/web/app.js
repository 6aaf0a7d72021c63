"use strict";
// The demo app: draw a digit or give a picture, see the answer and every class's probability
// as you draw, boxes over each digit of a picture, the model's metadata, and a training panel
// when the server has a training route. Everything it learns about the server comes from the
// API description the server names (the same one the docs page renders).
(() => {
  const {el, clear} = Page;
  const STROKE = 22;          // pen width on the 280 px pad: about MNIST's stroke once fitted into 20x20
  const MIN_INTERVAL = 60;    // ms between two predictions while drawing (one request in flight at most)
  const FINISHED = ["done", "succeeded", "success", "completed", "failed", "error", "cancelled", "canceled"];

  /// What the chosen model's routes take; see chooseModel.
  const server = {
    predictURL: "model/predict", metadataURL: "model/metadata", field: "file", topK: false,
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], // replaced by the model's labels when served
    train: null, // {url, statusURL(key), example, secured}
  };

  // MARK: What the server offers

  let api = null; // the API description, once read

  async function discover() {
    try {
      api = Page.readSpec((await Page.loadSpec()).document);
    } catch (error) {
      showError(`Could not read the API description (${error.message}); using MAX's default routes.`);
    }
    await chooseModel("/model");
    await listModels();
    const train = operation("post", "/model/train");
    if (train) {
      const status = api.operations.find(op => op.method === "get" && /^\/model\/train\/\{[^}]+\}$/.test(op.path));
      const json = train.body && train.body.contents.find(c => /json/.test(c.type));
      server.train = {
        url: url(train.path),
        statusURL: key => url(status ? status.path.replace(/\{[^}]+\}/, encodeURIComponent(key)) : `${train.path}/${encodeURIComponent(key)}`),
        example: json ? (json.example !== undefined ? json.example : Page.schema.exampleOf(json.schema, api.resolve)) : null,
        secured: Array.isArray(train.security) && train.security.length > 0,
      };
      setUpTraining();
    }
  }

  function operation(method, path) {
    return api ? api.operations.find(op => op.method === method && op.path === path) : null;
  }

  /// A path of the API as a URL relative to this page (which the API itself serves).
  function url(path) {
    return `${api ? api.base : ""}${path}`.replace(/^\//, "");
  }

  /// Uses the model whose routes start with `prefix`: MAX's `/model` for the default model,
  /// `/models/{id}` for another; its upload field, `top_k`, classes and metadata.
  async function chooseModel(prefix) {
    server.predictURL = url(`${prefix}/predict`);
    server.metadataURL = url(`${prefix}/metadata`);
    server.field = "file";
    server.topK = false;
    server.classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    const predict = operation("post", `${prefix}/predict`);
    if (predict) {
      server.topK = predict.parameters.some(p => p.in === "query" && p.name === "top_k");
      const form = predict.body && predict.body.contents.find(c => /multipart\/form-data/.test(c.type));
      if (form) {
        const shape = Page.schema.objectShape(form.schema, api.resolve);
        const fileField = Object.entries(shape.properties).find(([, s]) => {
          const field = api.resolve(s) || {};
          return field.format === "binary" || (field.items && (api.resolve(field.items) || {}).format === "binary");
        });
        if (fileField) server.field = fileField[0];
      }
    }
    if (operation("get", `${prefix}/labels`)) {
      try {
        const labels = await (await fetch(url(`${prefix}/labels`))).json();
        if (Array.isArray(labels.labels)) server.classes = labels.labels.map(l => String(l.name !== undefined ? l.name : l.id));
      } catch (error) { /* bars fall back to the classes the answers name */ }
    }
    drawBars([]);
    await loadMetadata();
  }

  /// With several models served, a choice of which one answers.
  async function listModels() {
    if (!operation("get", "/models")) return;
    let models;
    try {
      models = (await (await fetch(url("/models"), {headers: {Accept: "application/json"}})).json()).models;
    } catch (error) {
      return;
    }
    if (!Array.isArray(models) || models.length < 2) return;
    const select = clear(document.getElementById("model-select"));
    models.forEach((model, index) => {
      const name = model.metadata && model.metadata.name ? `${model.metadata.name} (${model.id})` : model.id;
      select.append(el("option", {value: index === 0 ? "/model" : `/models/${model.id}`, text: name}));
    });
    select.addEventListener("change", async () => {
      await chooseModel(select.value);
      document.getElementById("clear").click();
    });
    document.getElementById("model-choice").hidden = false;
  }

  async function loadMetadata() {
    const list = document.getElementById("metadata");
    try {
      const response = await fetch(server.metadataURL, {headers: {Accept: "application/json"}});
      const metadata = await response.json();
      clear(list);
      for (const [key, value] of Object.entries(metadata)) {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        const shown = /^https?:\/\//.test(text) ? el("span", {class: "url", text}) : text;
        list.append(el("dt", {text: key}), el("dd", {}, shown));
      }
      if (metadata.name) document.getElementById("model-name").textContent = `${metadata.name}: draw a digit or give a picture; the answer updates as you draw.`;
    } catch (error) {
      clear(list).append(el("dt", {text: "error"}), el("dd", {text: `metadata unavailable: ${error.message}`}));
    }
  }

  // MARK: Drawing

  const pad = document.getElementById("pad");
  const overlay = document.getElementById("pad-overlay");
  const ink = pad.getContext("2d");
  const strokes = new Map(); // pointerId -> last point
  let hasInk = false;
  let padGeneration = 0; // bumped by Clear, so an answer about an erased drawing is dropped

  function clearPad() {
    ink.fillStyle = "#ffffff";
    ink.fillRect(0, 0, pad.width, pad.height);
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
    hasInk = false;
    padGeneration += 1;
    drawBars([]);
    setAnswer("–", "Draw a digit, or choose a picture.");
    document.getElementById("digits-block").hidden = true;
    document.getElementById("bars-block").hidden = false;
  }

  function point(event) {
    const frame = pad.getBoundingClientRect();
    return {x: (event.clientX - frame.left) * pad.width / frame.width,
            y: (event.clientY - frame.top) * pad.height / frame.height,
            width: event.pointerType === "pen" && event.pressure > 0 ? STROKE * (0.6 + 0.8 * event.pressure) : STROKE};
  }

  function segment(from, to) {
    ink.strokeStyle = "#000000";
    ink.fillStyle = "#000000";
    ink.lineCap = "round";
    ink.lineJoin = "round";
    ink.lineWidth = to.width;
    ink.beginPath();
    if (from.x === to.x && from.y === to.y) {
      ink.arc(to.x, to.y, to.width / 2, 0, Math.PI * 2);
      ink.fill();
    } else {
      ink.moveTo(from.x, from.y);
      ink.lineTo(to.x, to.y);
      ink.stroke();
    }
    hasInk = true;
  }

  pad.addEventListener("pointerdown", event => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
    const start = point(event);
    strokes.set(event.pointerId, start);
    segment(start, start);
    if (live()) schedule();
  });
  pad.addEventListener("pointermove", event => {
    const last = strokes.get(event.pointerId);
    if (!last) return;
    event.preventDefault();
    const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
    let previous = last;
    for (const sample of events.length ? events : [event]) {
      const next = point(sample);
      segment(previous, next);
      previous = next;
    }
    strokes.set(event.pointerId, previous);
    if (live()) schedule();
  });
  for (const type of ["pointerup", "pointercancel"]) {
    pad.addEventListener(type, event => {
      if (!strokes.delete(event.pointerId)) return;
      schedule();
    });
  }
  document.getElementById("clear").addEventListener("click", () => {
    dirty = false;
    clearPad();
    updatePending();
  });

  function live() { return document.getElementById("live").checked; }

  // MARK: Predicting while drawing: one request in flight, the latest drawing always sent last

  let inFlight = false;
  let dirty = false;
  let timer = null;
  let lastSent = 0;

  function schedule() {
    dirty = true;
    updatePending();
    pump();
  }

  function pump() {
    if (inFlight || timer || !dirty) return;
    const wait = MIN_INTERVAL - (performance.now() - lastSent);
    if (wait > 0) {
      timer = setTimeout(() => { timer = null; pump(); }, wait);
      return;
    }
    dirty = false;
    inFlight = true;
    lastSent = performance.now();
    updatePending();
    const generation = padGeneration;
    pad.toBlob(async blob => {
      try {
        if (hasInk) await predict(blob, "drawing.png", {kind: "pad", generation});
      } finally {
        inFlight = false;
        updatePending();
        pump();
      }
    }, "image/png");
  }

  /// Requests still to answer, so tests (and people) can tell an answer is final.
  function updatePending() {
    document.getElementById("result").dataset.pending = String((inFlight ? 1 : 0) + (dirty || timer ? 1 : 0));
  }

  // MARK: Pictures

  const picture = document.getElementById("picture");
  let shownPicture = null; // {image, scale} of the picture on screen, to draw boxes over

  async function usePicture(file) {
    if (!file) return;
    const figure = document.getElementById("picture-figure");
    const caption = document.getElementById("picture-caption");
    shownPicture = null;
    figure.hidden = false;
    caption.textContent = `${file.name || "picture"}, ${Page.formatBytes(file.size)}`;
    try {
      const image = await loadImage(file);
      const longest = Math.max(image.naturalWidth, image.naturalHeight);
      const scale = Math.min(560 / longest, Math.max(1, 280 / longest));
      picture.width = Math.max(1, Math.round(image.naturalWidth * scale));
      picture.height = Math.max(1, Math.round(image.naturalHeight * scale));
      shownPicture = {image, scale};
      paintPicture([]);
      caption.textContent += `, ${image.naturalWidth} × ${image.naturalHeight} px`;
    } catch (error) {
      picture.width = picture.height = 0;
      caption.textContent += " (this browser cannot show it; the server still reads it)";
    }
    inFlight = true;
    updatePending();
    try {
      await predict(file, file.name || "picture", {kind: "picture"});
    } finally {
      inFlight = false;
      updatePending();
    }
  }

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("not an image this browser shows")); };
      image.src = url;
    });
  }

  function paintPicture(digits) {
    if (!shownPicture) return;
    const context = picture.getContext("2d");
    context.imageSmoothingEnabled = shownPicture.scale < 1;
    context.clearRect(0, 0, picture.width, picture.height);
    context.drawImage(shownPicture.image, 0, 0, picture.width, picture.height);
    drawBoxes(context, digits, shownPicture.scale);
  }

  const fileInput = document.getElementById("file");
  fileInput.addEventListener("change", () => usePicture(fileInput.files[0]));
  const drop = document.getElementById("drop");
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, event => { event.preventDefault(); drop.classList.add("dragging"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("dragging"));
  }
  drop.addEventListener("drop", event => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) usePicture(file);
  });

  // MARK: Asking the model and showing its answer

  async function predict(blob, name, target) {
    const body = new FormData();
    body.append(server.field, blob, name);
    const url = server.topK ? `${server.predictURL}?top_k=${server.classes.length}` : server.predictURL;
    let response, answer;
    try {
      response = await fetch(url, {method: "POST", body, headers: {Accept: "application/json"}});
      answer = await response.json();
    } catch (error) {
      showError(`The server did not answer: ${error.message}`);
      return;
    }
    if (target.kind === "pad" && target.generation !== padGeneration) return;
    if (!response.ok) {
      const message = Page.errorMessage(answer, `${response.status} ${response.statusText}`);
      if (/no digit/i.test(message)) showNoDigit(message, target); else showError(message);
      return;
    }
    const predictions = Array.isArray(answer.predictions) ? answer.predictions : [];
    if (!predictions.length) {
      showNoDigit(typeof answer.message === "string" ? answer.message : "The model found nothing to read in this picture.", target);
      return;
    }
    showPredictions(predictions, answer.message, target);
  }

  function labelOf(entry) {
    for (const key of ["prediction", "label", "label_id"]) if (entry[key] !== undefined) return String(entry[key]);
    return "?";
  }

  /// Entries grouped into digits: one group per distinct box (top-k entries of one digit share
  /// its box); entries without a box are one digit.
  function groupDigits(predictions) {
    const groups = [];
    for (const entry of predictions) {
      const key = Array.isArray(entry.box) ? entry.box.join(",") : "whole";
      let group = groups.find(g => g.key === key);
      if (!group) groups.push(group = {key, box: Array.isArray(entry.box) ? entry.box : null, entries: []});
      group.entries.push(entry);
    }
    for (const group of groups) {
      group.entries.sort((a, b) => (b.probability || 0) - (a.probability || 0));
      group.best = group.entries[0];
    }
    return groups;
  }

  function showPredictions(predictions, message, target) {
    const digits = groupDigits(predictions);
    const result = document.getElementById("result");
    result.dataset.outcome = "prediction";
    result.classList.remove("no-digit", "failed");
    const block = document.getElementById("digits-block");
    const list = clear(document.getElementById("digits"));
    if (digits.length === 1) {
      const digit = digits[0];
      setAnswer(labelOf(digit.best), probabilityText(digit.best) + (message ? ` ${message}` : ""));
      drawBars(probabilitiesOf(digit));
      block.hidden = true;
      document.getElementById("bars-block").hidden = false;
    } else {
      setAnswer(digits.map(d => labelOf(d.best)).join(" "), `${digits.length} digits found.${message ? ` ${message}` : ""}`);
      drawBars([]);
      document.getElementById("bars-block").hidden = true; // one set of bars would not say whose
      for (const digit of digits) {
        const [x, y, w, h] = digit.box || [0, 0, 0, 0];
        const probability = typeof digit.best.probability === "number" ? ` (${Page.percent(digit.best.probability)})` : "";
        list.append(el("li", {}, el("strong", {text: labelOf(digit.best)}), `${probability} at x ${x}, y ${y}, ${w} × ${h} px`));
      }
      block.hidden = false;
    }
    const boxed = digits.filter(d => d.box);
    if (target.kind === "picture") paintPicture(boxed);
    else {
      const context = overlay.getContext("2d");
      context.clearRect(0, 0, overlay.width, overlay.height);
      if (digits.length > 1) drawBoxes(context, boxed, 1);
    }
  }

  function probabilityText(entry) {
    return typeof entry.probability === "number" ? `probability ${Page.percent(entry.probability)}.` : "";
  }

  /// Class label -> probability for one digit: its top-k entries, or a `probabilities` list.
  function probabilitiesOf(digit) {
    if (Array.isArray(digit.best.probabilities)) {
      return digit.best.probabilities.map((p, index) => ({label: server.classes[index] || String(index), probability: p}));
    }
    return digit.entries.map(entry => ({label: labelOf(entry), probability: entry.probability || 0}));
  }

  function showNoDigit(message, target) {
    setOutcome("no-digit", "No digit found", message);
    document.getElementById("digits-block").hidden = true;
    if (target.kind === "picture") paintPicture([]);
  }

  function showError(message) {
    setOutcome("error", "Error", message);
  }

  /// A result without predictions: its kind (styled by class), headline and message; bars empty.
  function setOutcome(outcome, answer, detail) {
    const result = document.getElementById("result");
    result.dataset.outcome = outcome;
    result.classList.toggle("no-digit", outcome === "no-digit");
    result.classList.toggle("failed", outcome === "error");
    setAnswer(answer, detail);
    drawBars([]);
    document.getElementById("bars-block").hidden = false;
  }

  function setAnswer(answer, detail) {
    document.getElementById("answer").textContent = answer;
    document.getElementById("answer-detail").textContent = detail;
  }

  /// One bar per class, in the classes' order, so bars stay put while the answer changes.
  function drawBars(probabilities) {
    const bars = clear(document.getElementById("bars"));
    const known = new Map(probabilities.map(p => [p.label, p.probability]));
    const labels = [...server.classes];
    for (const p of probabilities) if (!labels.includes(p.label)) labels.push(p.label);
    const best = probabilities.reduce((top, p) => (top && top.probability >= p.probability ? top : p), null);
    for (const label of labels) {
      const probability = known.get(label) || 0;
      const fill = el("span", {class: "fill"});
      fill.style.width = `${Math.max(0, Math.min(1, probability)) * 100}%`;
      bars.append(el("li", {class: best && best.label === label ? "best" : null, dataset: {label, probability: String(probability)}},
        el("span", {class: "bar-label", text: label}),
        el("span", {class: "bar", "aria-hidden": "true"}, fill),
        el("span", {class: "bar-value", text: known.has(label) ? Page.percent(probability) : "–"})));
    }
  }

  function drawBoxes(context, digits, scale) {
    context.lineWidth = 2;
    context.font = "bold 16px sans-serif";
    context.textBaseline = "bottom";
    for (const digit of digits) {
      if (!digit.box) continue;
      const [x, y, w, h] = digit.box.map(v => v * scale);
      context.strokeStyle = "#d9480f";
      context.strokeRect(x, y, w, h);
      const text = labelOf(digit.best);
      const width = context.measureText(text).width + 8;
      const top = y >= 20 ? y - 20 : y + h;
      context.fillStyle = "#d9480f";
      context.fillRect(x - 1, top, width, 20);
      context.fillStyle = "#ffffff";
      context.fillText(text, x + 3, top + 18);
    }
  }

  // MARK: Training

  let job = null; // {key, epochs, timer}

  function setUpTraining() {
    document.getElementById("training").hidden = false;
    const body = document.getElementById("train-body");
    const example = server.train.example && typeof server.train.example === "object" ? server.train.example : {
      dataset: "MnistDataset", dataset_args: {image_size: [28, 28, 1]}, model: "DigitModel", network: "lenet5",
      network_args: {}, train_args: {batch_size: 32, epochs: 2}, save_weights: false,
    };
    body.value = JSON.stringify(example, null, 2);
    document.getElementById("train-token-field").hidden = !server.train.secured;
    document.getElementById("train-form").addEventListener("submit", startTraining);
    document.getElementById("train-cancel").addEventListener("click", cancelTraining);
  }

  function trainHeaders() {
    const headers = {"Content-Type": "application/json", Accept: "application/json"};
    const token = document.getElementById("train-token").value;
    if (token) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  function trainText(text, failed) {
    const line = document.getElementById("train-text");
    line.textContent = text;
    line.classList.toggle("error-text", !!failed);
  }

  async function startTraining(event) {
    event.preventDefault();
    let request;
    try {
      request = JSON.parse(document.getElementById("train-body").value);
    } catch (error) {
      trainText(`The training request is not valid JSON: ${error.message}`, true);
      return;
    }
    const response = await fetch(server.train.url, {method: "POST", headers: trainHeaders(), body: JSON.stringify(request)});
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) document.getElementById("train-token-field").hidden = false;
    if (!response.ok || typeof answer.key !== "string") {
      trainText(`Training was refused: ${Page.errorMessage(answer, `${response.status} ${response.statusText}`)}`, true);
      return;
    }
    const epochs = request.train_args && Number(request.train_args.epochs) || null;
    job = {key: answer.key, epochs};
    document.getElementById("train-start").disabled = true;
    document.getElementById("train-cancel").disabled = false;
    trainText(typeof answer.message === "string" ? answer.message : `Job ${answer.key} started.`);
    poll();
  }

  async function poll() {
    if (!job) return;
    let status;
    try {
      const response = await fetch(server.train.statusURL(job.key), {headers: trainHeaders()});
      status = await response.json();
      if (!response.ok) throw new Error(Page.errorMessage(status, `${response.status}`));
    } catch (error) {
      trainText(`Could not read the job's progress: ${error.message}`, true);
      finishJob();
      return;
    }
    showTrainingStatus(status);
    const state = String(status.status || "").toLowerCase();
    if (FINISHED.some(word => state.includes(word)) || status.result || status.message && status.message.status) finishJob();
    else job.timer = setTimeout(poll, 1000);
  }

  function showTrainingStatus(status) {
    const progress = document.getElementById("train-progress");
    const epoch = Number(status.current_epoch);
    const epochs = Number(status.epochs) || job.epochs;
    if (epochs && !Number.isNaN(epoch)) {
      progress.hidden = false;
      progress.max = epochs;
      progress.value = Math.min(epoch, epochs);
    }
    const parts = [String(status.status || "running").replace(/_/g, " ")];
    if (!Number.isNaN(epoch)) parts.push(`epoch ${epoch}${epochs ? ` of ${epochs}` : ""}`);
    if (typeof status.current_loss === "number") parts.push(`loss ${status.current_loss.toFixed(4)}`);
    if (typeof status.current_accuracy === "number") parts.push(`accuracy ${Page.percent(status.current_accuracy)}`);
    else if (typeof status.accuracy === "number") parts.push(`accuracy ${Page.percent(status.accuracy)}`);
    const result = status.result || (status.message && status.message.test ? status.message : null);
    if (result && result.test && typeof result.test.accuracy === "number") parts.push(`test accuracy ${Page.percent(result.test.accuracy)}`);
    // The server says in a string `message` why a job failed or was not deployed.
    if (typeof status.message === "string" && status.message) parts.push(status.message);
    const state = String(status.status || "").toLowerCase();
    trainText(parts.join(" · "), state.includes("fail") || state.includes("error"));
  }

  function finishJob() {
    if (job && job.timer) clearTimeout(job.timer);
    job = null;
    document.getElementById("train-start").disabled = false;
    document.getElementById("train-cancel").disabled = true;
  }

  async function cancelTraining() {
    if (!job) return;
    const key = job.key;
    finishJob();
    const response = await fetch(server.train.statusURL(key), {method: "DELETE", headers: trainHeaders()});
    const answer = await response.json().catch(() => ({}));
    trainText(response.ok ? `Job ${key} cancelled.` : `Could not cancel: ${Page.errorMessage(answer, String(response.status))}`, !response.ok);
  }

  // MARK: Start

  clearPad();
  discover().then(() => { document.body.dataset.ready = "true"; });
})();
