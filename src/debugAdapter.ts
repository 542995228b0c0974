// The standalone Uniwasm debug adapter: Debug Adapter Protocol over stdin/stdout
// (`node dist/debugAdapter.js`), or over TCP with `--server=PORT` for debugging the adapter itself.
import { UniwasmDebugSession } from './debug/session';

UniwasmDebugSession.run(UniwasmDebugSession);
