// Which user this window is: `?user=ID` when given, else the id kept in localStorage.

const STORAGE_KEY = 'oa-sim.userId';
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The user id to connect as, or undefined to let the server make one. */
export function chosenUserId(): string | undefined {
  const fromQuery = new URLSearchParams(location.search).get('user');
  if (fromQuery && ID_PATTERN.test(fromQuery)) return fromQuery;
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored && ID_PATTERN.test(stored) ? stored : undefined;
}

/** Remembers the id the server confirmed, unless the window was opened for a given user. */
export function rememberUserId(userId: string): void {
  if (!new URLSearchParams(location.search).get('user')) localStorage.setItem(STORAGE_KEY, userId);
}

/** Forgets the current user, for "New user": the next connection gets a fresh id. */
export function forgetUserId(): void {
  localStorage.removeItem(STORAGE_KEY);
  const url = new URL(location.href);
  if (url.searchParams.has('user')) {
    url.searchParams.delete('user');
    history.replaceState(null, '', url);
  }
}
