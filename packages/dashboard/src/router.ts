// Hash routes (#/instances/ins_…): the dashboard is one static page, and nothing secret goes in the URL.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'instances' }
  | { page: 'instance'; id: string }
  | { page: 'webhooks' }
  | { page: 'activity' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'instances' && parts[1]) return { page: 'instance', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'webhooks') return { page: 'webhooks' };
  if (parts[0] === 'activity') return { page: 'activity' };
  return { page: 'instances' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => {
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
      // Like a page load for keyboard and screen-reader users: start at the new page's content.
      document.getElementById('main')?.focus({ preventScroll: true });
    };
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function go(path: string): void {
  window.location.hash = path;
}
