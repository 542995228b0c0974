// The app's routes as the kernel logs them at boot, and the one "Open App in Browser" opens.

/** One route of a SpiderLightning app: `GET /hello`, `PUT /bar`, `GET /users/:id`. */
export interface AppRoute {
  method: string;
  /** The pattern: `/`-separated, a `:name` segment matches any one segment. */
  path: string;
}

// kernel/platform/src/app.rs logs `app: GET /hello -> handle-hello` for each route, after the
// console's `[    0.123456] INFO  ` prefix (serial.rs).
const ROUTE_LINE = /\bINFO +app: ([A-Z]+) (\/\S*) -> \S+$/;

/** The route a guest console line announces, if it is one of the kernel's route lines. */
export function routeFromConsole(line: string): AppRoute | undefined {
  const m = ROUTE_LINE.exec(line);
  return m ? { method: m[1]!, path: m[2]! } : undefined;
}

/**
 * The path a browser should open: the first GET route a browser can ask for as it is (no `:name`
 * segment), else `/` (a component serves every path; an app without such a route answers 404 there).
 */
export function pathToOpen(routes: readonly AppRoute[]): string {
  return routes.find((r) => r.method === 'GET' && !r.path.split('/').some((s) => s.startsWith(':')))?.path ?? '/';
}
