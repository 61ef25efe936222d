import { useCallback, useEffect, useState } from 'react';

// Both paths are same-origin: nginx proxies /api/health to flask-backend:5000/health
// and /stage/health to stage-server:3001/health.
export const CHECKS = [
  { id: 'api', label: 'Flask backend', url: '/api/health' },
  { id: 'stage', label: 'Stage server', url: '/stage/health' },
];

const TIMEOUT_MS = 5000;

async function probe(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(url, {
      signal: controller.signal,
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    let detail = `HTTP ${res.status}`;
    const type = res.headers.get('content-type') || '';
    if (type.includes('application/json')) {
      const body = await res.json().catch(() => null);
      if (body && typeof body.status === 'string') detail = `${detail} · ${body.status}`;
    }
    return { state: res.ok ? 'up' : 'down', detail };
  } catch (err) {
    const detail = err.name === 'AbortError' ? `no answer in ${TIMEOUT_MS / 1000}s` : 'unreachable';
    return { state: 'down', detail };
  } finally {
    clearTimeout(timer);
  }
}

export default function App() {
  const [results, setResults] = useState({});
  const [checkedAt, setCheckedAt] = useState(null);

  const refresh = useCallback(async () => {
    setResults(Object.fromEntries(CHECKS.map((c) => [c.id, { state: 'checking', detail: '…' }])));
    const entries = await Promise.all(CHECKS.map(async (c) => [c.id, await probe(c.url)]));
    setResults(Object.fromEntries(entries));
    setCheckedAt(new Date());
  }, []);

  useEffect(() => {
    refresh();
  }, [refresh]);

  return (
    <main className="page">
      <h1>Atlantiplex Studio</h1>
      <section aria-label="Service status">
        <ul className="checks">
          {CHECKS.map((c) => {
            const r = results[c.id] || { state: 'checking', detail: '…' };
            return (
              <li key={c.id} className={`check check--${r.state}`}>
                <span className="check__label">{c.label}</span>
                <code className="check__url">{c.url}</code>
                <span className="check__state">{r.state}</span>
                <span className="check__detail">{r.detail}</span>
              </li>
            );
          })}
        </ul>
        <button type="button" onClick={refresh}>
          Check again
        </button>
        {checkedAt && <p className="checked-at">Last checked {checkedAt.toLocaleTimeString()}</p>}
      </section>
    </main>
  );
}
