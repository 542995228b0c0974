// The Uniwasm debug adapter's DAP side: requests become calls on the Debugger (debugger.ts), its answers and events become DAP.
import {
  Handles, InitializedEvent, Logger, logger, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RunObserver } from '../run/observer';
import { Debugger } from './debugger';
import type { AttachOptions, LaunchOptions } from './launch';
import type { Stop, VariableContainer } from './model';

/** `launch` in launch.json (or from the configuration provider): boot the app under the debugger. */
export interface UniwasmLaunchArguments extends DebugProtocol.LaunchRequestArguments, LaunchOptions {
  /** Log the DAP traffic to the debug console. */
  trace?: boolean;
}

/** `attach`: a QEMU gdbstub that runs already (e.g. `uniwasm run --gdb 1234`). */
export interface UniwasmAttachArguments extends DebugProtocol.AttachRequestArguments, AttachOptions {
  trace?: boolean;
}

/** The exception filter that stops at Wasm traps. */
const WASM_TRAPS = 'wasm-traps';

/**
 * The Uniwasm debug adapter: a DAP session over the Debugger, which does the debugging. This
 * translates arguments into calls, results into response bodies and the debugger's events into
 * DAP events, and keeps the variables references. Plain Node: no `vscode` import.
 */
export class UniwasmDebugSession extends LoggingDebugSession {
  private readonly debugger: Debugger;
  private readonly variables = new Handles<VariableContainer>();
  private readonly reference = (container: VariableContainer) => this.variables.create(container);
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((resolve) => (this.configurationDone = resolve));

  /** `observers` follow a launch's run (the extension passes its views); the standalone adapter has none. */
  constructor(observers: readonly RunObserver[] = []) {
    super();
    this.debugger = new Debugger(observers);
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    // A stop may happen while the request that caused it is still being answered; DAP wants the
    // response first, so stopped events go out on the next turn.
    // Variables references hold only while stopped (DAP): each stop starts afresh, so they do not pile up over a session.
    this.debugger.on('stopped', (stop) => {
      this.variables.reset();
      setImmediate(() => this.sendEvent(stoppedEvent(stop)));
    });
    this.debugger.on('output', (text, category) => this.sendEvent(new OutputEvent(text, category)));
    this.debugger.on('ended', () => this.sendEvent(new TerminatedEvent()));
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsTerminateRequest: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsEvaluateForHovers: true,
      supportTerminateDebuggee: true,
      supportsExceptionInfoRequest: true,
      supportsDisassembleRequest: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsSteppingGranularity: true,
      exceptionBreakpointFilters: [{ filter: WASM_TRAPS, label: 'Wasm traps', default: true, description: 'Stop when the app traps (unreachable, out-of-bounds access, division by zero, out of fuel …)' }],
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  /** What the debugger waits for before the guest starts: the client's breakpoints, between `initialized` and `configurationDone`. */
  private readonly configure = async (): Promise<void> => {
    this.sendEvent(new InitializedEvent());
    await this.configured;
  };

  // ---- launch / attach / end ----

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: UniwasmLaunchArguments): Promise<void> {
    this.setupLogging(args.trace);
    try {
      await this.debugger.launch(args, this.configure);
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 1001, `Uniwasm launch failed: ${(err as Error).message}`);
    }
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: UniwasmAttachArguments): Promise<void> {
    this.setupLogging(args.trace);
    try {
      await this.debugger.attach(args, this.configure);
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 1002, `Uniwasm attach failed: ${(err as Error).message}`);
    }
  }

  private setupLogging(trace: boolean | undefined): void {
    logger.setup(trace ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.debugger.end(true);
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments | undefined): Promise<void> {
    await this.debugger.disconnect(args?.terminateDebuggee === true);
    this.sendResponse(response);
  }

  // ---- running and stepping ----

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): Promise<void> {
    await this.respond(response, async () => {
      await this.debugger.control.continue(args.threadId);
      return { allThreadsContinued: true };
    });
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.respond(response, () => this.debugger.control.pause());
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.respond(response, () => this.debugger.control.step(args.threadId, 'over', args.granularity));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.respond(response, () => this.debugger.control.step(args.threadId, 'into', args.granularity));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.respond(response, () => this.debugger.control.stepOut(args.threadId));
  }

  // ---- threads, stack, scopes, variables, memory ----

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.debugger.threads };
    this.sendResponse(response);
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.respond(response, async () => {
      const all = await this.debugger.stackFrames(args.threadId);
      const start = args.startFrame ?? 0;
      return { stackFrames: all.slice(start, args.levels ? start + args.levels : undefined), totalFrames: all.length };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    response.body = { scopes: this.debugger.scopes(args.frameId, this.reference) };
    this.sendResponse(response);
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    await this.respond(response, async () => {
      const container = this.variables.get(args.variablesReference);
      if (!container) throw new Error(`unknown variables reference ${args.variablesReference}`);
      return { variables: await this.debugger.variables(container, this.reference, { start: args.start, count: args.count }) };
    });
  }

  protected override async setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): Promise<void> {
    await this.respond(response, async () => ({
      value: await this.debugger.setVariable(this.variables.get(args.variablesReference), args.name, args.value),
    }));
  }

  protected override async setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): Promise<void> {
    await this.respond(response, async () => ({ value: await this.debugger.setExpression(args.expression, args.value, args.frameId) }));
  }

  /** Debug console, hovers and watches: a C expression at a Wasm frame, a register name (`rip`, `$rsp`) or a kernel symbol. */
  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    await this.respond(response, () => this.debugger.evaluate(args.expression, args.frameId, this.reference));
  }

  protected override async readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): Promise<void> {
    await this.respond(response, async () => {
      const { address, data, unreadableBytes } = await this.debugger.readMemory(args.memoryReference, args.offset ?? 0, args.count);
      return { address, data: data.toString('base64'), unreadableBytes };
    });
  }

  protected override async writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): Promise<void> {
    await this.respond(response, async () => {
      const data = Buffer.from(args.data, 'base64');
      await this.debugger.writeMemory(args.memoryReference, args.offset ?? 0, data);
      return { bytesWritten: data.length };
    });
  }

  // ---- breakpoints ----

  protected override async setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): Promise<void> {
    await this.respond(response, async () => ({ breakpoints: await this.debugger.breakpoints.setFunctions(args.breakpoints.map((b) => b.name)) }));
  }

  protected override async setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): Promise<void> {
    await this.respond(response, async () => ({ breakpoints: await this.debugger.breakpoints.setInstructions(args.breakpoints) }));
  }

  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    await this.respond(response, async () => {
      const lines = (args.breakpoints ?? []).map(({ line }) => line);
      return { breakpoints: await this.debugger.breakpoints.setLines(args.source.path ?? args.source.name ?? '', lines) };
    });
  }

  protected override async dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): Promise<void> {
    await this.respond(response, async () => {
      const container = args.variablesReference ? this.variables.get(args.variablesReference) : undefined;
      return { canPersist: false, ...(await this.debugger.dataBreakpointInfo(args.name, container, args.bytes, args.frameId)) };
    });
  }

  protected override async setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): Promise<void> {
    await this.respond(response, async () => ({ breakpoints: await this.debugger.breakpoints.setData(args.breakpoints) }));
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.debugger.stopAtTraps = args.filters.includes(WASM_TRAPS);
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const info = this.debugger.exceptionInfo();
    if (!info) return this.sendErrorResponse(response, 2001, 'not stopped at a Wasm trap');
    response.body = info;
    this.sendResponse(response);
  }

  protected override async disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): Promise<void> {
    await this.respond(response, async () => ({
      instructions: this.debugger.disassemble(args.memoryReference, args.offset ?? 0, args.instructionOffset ?? 0, args.instructionCount).map(
        ({ source, invalid, ...ins }): DebugProtocol.DisassembledInstruction => ({
          ...ins, location: source, presentationHint: invalid ? 'invalid' : undefined,
        })),
    }));
  }

  /** Runs a request handler and answers with the body it returns, or with the error it threw. */
  private async respond<R extends DebugProtocol.Response>(response: R, job: () => Promise<R['body'] | void>): Promise<void> {
    try {
      response.body = (await job()) ?? response.body;
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 2000, (err as Error).message);
    }
  }
}

function stoppedEvent(stop: Stop): DebugProtocol.StoppedEvent {
  const event = new StoppedEvent(stop.reason, stop.thread, stop.trap) as DebugProtocol.StoppedEvent;
  event.body.allThreadsStopped = true;
  if (stop.trap) event.body.description = `Wasm trap: ${stop.trap}`;
  if (stop.hitBreakpointIds.length) event.body.hitBreakpointIds = stop.hitBreakpointIds;
  return event;
}
