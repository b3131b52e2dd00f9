/** Asks for an API key when the server refuses the console without one (or refused the one it had). */
import { useId, useState } from "react";

export function ApiKeyPrompt({ refused, onSubmit }: { refused: boolean; onSubmit(key: string): void }) {
  const id = useId();
  const [key, setKey] = useState("");
  return (
    <main className="key-prompt">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <h1>Workflow console</h1>
        <p>This server needs an API key. It is kept for this tab only and sent with every request.</p>
        {refused ? (
          <p className="state error" role="alert">
            The server refused that API key. Check it and try again.
          </p>
        ) : null}
        <label htmlFor={id}>API key</label>
        <input id={id} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
        <button type="submit" disabled={!key.trim()}>
          Connect
        </button>
      </form>
    </main>
  );
}
