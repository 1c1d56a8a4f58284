/** Longest output text kept per check; the kubelet reads only 10 KiB of a body. */
const MAX_OUTPUT = 300;

// user:pass@ in any scheme://; the user part alone is kept out too (it often is a tenant or account id).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;
// key=value secrets of DSNs and connection strings (password=..., pwd=..., secret=..., token=...).
const KEY_VALUE_SECRET =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&]+)/gi;

/**
 * Makes an error message or output fit for a probe body: first line only (never a stack trace),
 * URL credentials and `password=` style secrets masked, length capped.
 */
export function sanitizeText(text: string): string {
  let line = text;
  const nl = line.search(/\r|\n/);
  if (nl !== -1) line = line.slice(0, nl);
  line = line.replace(URL_CREDENTIALS, '$1***@').replace(KEY_VALUE_SECRET, '$1$2***');
  if (line.length > MAX_OUTPUT) line = `${line.slice(0, MAX_OUTPUT - 1)}…`;
  return line;
}

/** The text shown for a failed check: `CODE: message`, sanitised. */
export function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.name || 'failed';
  // Our own errors read as the issue promises ("timed out after 2000 ms"); others get their code in front.
  const useCode = typeof code === 'string' && code.length > 0 && !code.startsWith('PROBEKIT_ERR_') && !message.includes(code);
  const text = useCode ? `${code}: ${message}` : message;
  return sanitizeText(text);
}
