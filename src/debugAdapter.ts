// The standalone Uniwasm debug adapter: Debug Adapter Protocol over stdin/stdout
// (`node dist/debugAdapter.js`), or over TCP with `--server=PORT` for debugging the adapter itself.
import { UniwasmDebugSession } from './debug/session';

// run() constructs the session with arguments of its own, which are not observers: nobody follows the run here.
UniwasmDebugSession.run(class extends UniwasmDebugSession {
  constructor() {
    super([]);
  }
});
