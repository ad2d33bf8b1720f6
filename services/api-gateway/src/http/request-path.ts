// One reading of a request path that every decision uses: which scope it
// needs, which upstream it goes to, and the path forwarded there. Deciding
// on one spelling and forwarding another is how gateways get bypassed
// (`/api/contacts/1/../1/ERASE` reaching an admin-only route with a write
// key), so paths with dot segments, encoded slashes or bad escapes are
// refused, and the checks compare decoded, lower-cased segments because the
// upstream's router is case-insensitive.
import { ProblemError, problem } from '@engagement/http';

export interface RequestPath {
  /** Segments as received (still percent-encoded), empty ones dropped: what we forward. */
  segments: string[];
  /** The same segments decoded and lower-cased: what access and routing rules compare. */
  canonical: string[];
}

export function parseRequestPath(path: string): RequestPath {
  const segments = path.split('/').filter((segment) => segment !== '');
  const canonical = segments.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw invalidPath();
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) throw invalidPath();
    return decoded.toLowerCase();
  });
  return { segments, canonical };
}

function invalidPath(): ProblemError {
  return new ProblemError(
    problem(400, 'invalid-path', 'The path has dot segments, encoded slashes or bad escapes'),
  );
}
