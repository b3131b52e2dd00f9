/** The API key, kept for this tab only (sessionStorage): closing the tab forgets it. */
const STORAGE_KEY = "workflow-console.apiKey";

export function loadApiKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveApiKey(key: string | null): void {
  try {
    if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode): the key lives as long as the page.
  }
}
