import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { contentSecurityPolicy, PAGE_HEADERS, sameHostWebSockets, sha256Source } from '../security-headers.js';

export interface GraphiQL {
  /** The IDE's page; `host` (the request's Host header) names its WebSockets in the page's CSP. */
  page(res: ServerResponse, host: string | undefined): void;
  /** Serves `/graphiql/assets/<name>`; false when there is no such asset. */
  asset(pathname: string, res: ServerResponse): boolean;
}

export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets/';

/** GraphiQL and its scripts, served from node_modules so the IDE works offline. */
export function graphiqlAssets(): GraphiQL {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  const files: Record<string, { file: string; type: string }> = {
    'react.production.min.js': { file: path.join(packageDir('react'), 'umd/react.production.min.js'), type: 'js' },
    'react-dom.production.min.js': {
      file: path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
      type: 'js',
    },
    'graphiql.min.js': { file: path.join(packageDir('graphiql'), 'graphiql.min.js'), type: 'js' },
    'graphiql.min.css': { file: path.join(packageDir('graphiql'), 'graphiql.min.css'), type: 'css' },
    'graphql-ws.min.js': { file: path.join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js'), type: 'js' },
  };
  const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
  const inlineScripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => sha256Source(match[1]!));
  const cache = new Map<string, Buffer>();
  return {
    page(res, host) {
      // GraphiQL's own scripts are files of this server; the page's one inline script is allowed by its
      // hash. Styles need 'unsafe-inline': GraphiQL's dialogs insert <style> elements at run time. Its
      // stylesheet embeds its fonts as data: URIs.
      const policy = contentSecurityPolicy({
        script: ["'self'", ...inlineScripts],
        style: ["'self'", "'unsafe-inline'"],
        font: ["'self'", 'data:'],
        connect: sameHostWebSockets(host),
      });
      res.writeHead(200, {
        ...PAGE_HEADERS,
        'content-security-policy': policy,
        'content-type': 'text/html; charset=utf-8',
      });
      res.end(page);
    },
    asset(pathname, res) {
      const name = pathname.slice(GRAPHIQL_ASSETS_PATH.length);
      const entry = files[name];
      if (!entry) return false;
      let content = cache.get(name);
      if (!content) {
        content = readFileSync(entry.file);
        cache.set(name, content);
      }
      res.writeHead(200, {
        'content-type': entry.type === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=86400',
      });
      res.end(content);
      return true;
    },
  };
}

/**
 * What a browser opening /graphql gets when the IDE is off (production's default): a page saying so and
 * how to turn it on, rather than the JSON refusal a GET without a query earns.
 */
export function ideOffPage(res: ServerResponse): void {
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-security-policy': contentSecurityPolicy({ script: ["'none'"], style: ["'none'"], connect: [] }),
    'content-type': 'text/html; charset=utf-8',
  });
  res.end(IDE_OFF_PAGE);
}

const IDE_OFF_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Safety Training API — GraphQL</title>
  </head>
  <body>
    <h1>GraphiQL is off on this server</h1>
    <p>
      The in-browser IDE is off by default in production (<code>NODE_ENV=production</code>), or because
      <code>GRAPHQL_IDE</code> is set to off. To serve it here, start the server with <code>GRAPHQL_IDE=1</code>
      (and <code>GRAPHQL_INTROSPECTION=1</code> for its docs and autocomplete).
    </p>
    <p>
      GraphQL itself answers at this address: POST JSON <code>{"query": "…"}</code> with the header
      <code>Authorization: Bearer &lt;token&gt;</code>.
    </p>
  </body>
</html>
`;
