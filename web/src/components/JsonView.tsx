export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <figure className="json-view">
      <figcaption>{label}</figcaption>
      <pre>{value === undefined || value === null ? "—" : JSON.stringify(value, null, 2)}</pre>
    </figure>
  );
}
