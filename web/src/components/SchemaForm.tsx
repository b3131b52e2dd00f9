/** A node's data, edited in a form generated from its type's JSON Schema (see lib/schema-form.ts). */
import { useEffect, useId, useState } from "react";
import {
  type FormField,
  getPath,
  type Problem,
  parseFieldInput,
  problemsForField,
  setPath,
} from "../lib/schema-form.ts";

interface Props {
  fields: FormField[];
  data: Record<string, unknown>;
  problems: Problem[];
  onChange(data: Record<string, unknown>): void;
}

export function SchemaForm({ fields, data, problems, onChange }: Props) {
  if (fields.length === 0) return <p className="state empty">This node type has no settings.</p>;
  return (
    <div className="schema-form">
      {fields.map((field) => (
        <FieldInput key={field.path} field={field} data={data} problems={problems} onChange={onChange} />
      ))}
    </div>
  );
}

function textOf(field: FormField, value: unknown): string {
  if (value === undefined) return "";
  if (field.kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

function FieldInput({ field, data, problems, onChange }: { field: FormField } & Omit<Props, "fields">) {
  const id = useId();
  const value = getPath(data, field.path);
  const [text, setText] = useState(() => textOf(field, value));
  const [inputError, setInputError] = useState<string>();
  const fieldProblems = problemsForField(problems, field.path);

  // Follow changes made elsewhere (another node selected, data replaced) unless the text says the same.
  useEffect(() => {
    setText((current) => {
      const parsed = parseFieldInput(field, current);
      return "value" in parsed && JSON.stringify(parsed.value) === JSON.stringify(value)
        ? current
        : textOf(field, value);
    });
  }, [field, value]);

  if (field.kind === "object") {
    return (
      <fieldset className="field-group">
        <legend>{field.label}</legend>
        {field.children?.map((child) => (
          <FieldInput key={child.path} field={child} data={data} problems={problems} onChange={onChange} />
        ))}
      </fieldset>
    );
  }

  const messages = [...(inputError ? [inputError] : []), ...fieldProblems.map((p) => p.message)];
  const describedBy = messages.length > 0 || field.description ? `${id}-help` : undefined;
  const placeholder = field.defaultValue !== undefined ? `default: ${JSON.stringify(field.defaultValue)}` : undefined;

  const commit = (next: string) => {
    setText(next);
    const parsed = parseFieldInput(field, next);
    if ("error" in parsed) {
      setInputError(parsed.error);
      return;
    }
    setInputError(undefined);
    onChange(setPath(data, field.path, parsed.value));
  };

  let input: React.ReactNode;
  if (field.kind === "boolean") {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        aria-describedby={describedBy}
        onChange={(e) => onChange(setPath(data, field.path, e.target.checked ? true : undefined))}
      />
    );
  } else if (field.kind === "enum") {
    input = (
      <select id={id} value={text} aria-describedby={describedBy} onChange={(e) => commit(e.target.value)}>
        <option value="">{placeholder ?? "—"}</option>
        {field.options?.map((option) => (
          <option key={String(option)} value={String(option)}>
            {String(option)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === "json" || field.multiline) {
    input = (
      <textarea
        id={id}
        value={text}
        rows={field.kind === "json" ? 5 : 3}
        spellCheck={false}
        placeholder={placeholder}
        aria-invalid={messages.length > 0}
        aria-describedby={describedBy}
        onChange={(e) => commit(e.target.value)}
      />
    );
  } else {
    input = (
      <input
        id={id}
        type={field.kind === "number" || field.kind === "integer" ? "number" : "text"}
        value={text}
        placeholder={placeholder}
        aria-invalid={messages.length > 0}
        aria-describedby={describedBy}
        onChange={(e) => commit(e.target.value)}
      />
    );
  }

  return (
    <div className={`field${messages.length > 0 ? " invalid" : ""}`} data-field={field.path}>
      <label htmlFor={id}>
        {field.label}
        {field.required ? <span aria-hidden="true"> *</span> : null}
        {field.kind === "json" ? <span className="hint"> (JSON)</span> : null}
      </label>
      {input}
      {describedBy ? (
        <div id={`${id}-help`} className="field-help">
          {field.description ? <span>{field.description}</span> : null}
          {messages.map((message) => (
            <span key={message} className="field-problem" role="alert">
              {message}
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}
