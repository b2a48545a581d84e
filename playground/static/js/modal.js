// The form a bot opens in answer to a button (Discord's modal): text inputs, Cancel, Submit.

import { el } from "./message.js";

export function openModal(dialog, modal, connection) {
  const fields = [];
  const inputs = [];
  for (const row of modal.components || []) {
    const input = row.type === 1 ? row.components?.[0] : row.type === 18 ? row.component : null;
    if (!input || input.type !== 4) continue;
    const label = row.type === 18 ? row.label : input.label;
    const control = el(input.style === 2 ? "textarea" : "input", "modal-input");
    if (input.style !== 2) control.type = "text";
    control.id = `modal-${input.custom_id}`;
    control.placeholder = input.placeholder || "";
    control.value = input.value || "";
    if (input.max_length) control.maxLength = input.max_length;
    control.required = input.required !== false;
    const labelNode = el("label", "modal-label", [label || input.custom_id, control.required ? el("span", "required", [" *"]) : null]);
    labelNode.htmlFor = control.id;
    fields.push(el("div", "modal-field", [labelNode, control]));
    inputs.push({ input, control });
  }
  const error = el("div", "form-error");
  error.setAttribute("role", "alert");
  const cancel = el("button", "button secondary", ["Cancel"]);
  cancel.type = "button";
  cancel.addEventListener("click", () => dialog.close());
  const submit = el("button", "button primary", ["Submit"]);
  submit.type = "submit";
  const form = el("form", "modal-form", [el("h2", "", [modal.title || "Form"]), ...fields, error, el("div", "modal-actions", [cancel, submit])]);
  form.querySelector("h2").id = "modal-title";
  form.noValidate = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const { input, control } of inputs) {
      const text = control.value;
      if (control.required && !text.trim()) { error.textContent = `${input.label || "This field"} is required.`; return; }
      if (input.min_length && text.length < input.min_length) { error.textContent = `At least ${input.min_length} characters.`; return; }
      values[input.custom_id] = text;
    }
    submit.disabled = true;
    const result = await connection.act("/api/modal", { interaction_id: modal.id, values });
    submit.disabled = false;
    if (!result.ok) { error.textContent = result.data.message || "The form could not be sent."; return; }
    dialog.close();
  });
  dialog.replaceChildren(form);
  dialog.showModal();
  inputs[0]?.control.focus();
}
