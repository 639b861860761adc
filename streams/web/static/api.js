// The API client: every call carries the bearer token; a 401 or 503 is told to the app (which asks
// for a token or says the API is off) instead of surfacing as an unhandled error.

const KEY = "stancewire.token";
let onRefused = () => {};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export const token = {
  get: () => localStorage.getItem(KEY),
  set: (value) => localStorage.setItem(KEY, value),
  clear: () => localStorage.removeItem(KEY),
};

export function whenRefused(handler) {
  onRefused = handler;
}

export function authHeaders(extra = {}) {
  const value = token.get();
  return value ? { ...extra, Authorization: `Bearer ${value}` } : extra;
}

/** GET /api/<path> with query params (empty ones left out) → parsed JSON, or throws ApiError. */
export async function get(path, params = {}, { signal } = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, value);
  }
  const qs = query.toString();
  let response;
  try {
    response = await fetch(`/api/${path}${qs ? `?${qs}` : ""}`, {
      headers: authHeaders({ Accept: "application/json" }),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "the worker did not answer");
  }
  if (response.ok) return response.json();
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not every refusal has a JSON body (a proxy's 502, say): the status says enough
  }
  const error = new ApiError(response.status, body.error, body.detail || body.message);
  if (response.status === 401 || response.status === 503) onRefused(error);
  throw error;
}

export const q = encodeURIComponent;
