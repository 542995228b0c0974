//! The instances of a SpiderLightning app: a request runs on a free one, keeps it while suspended in a KeyValue call, and waits its turn when none is free.
//!
//! The pool starts with the instance `load` made and grows, up to `AppConfig::instances`, only
//! when a request finds every instance suspended: with a store that answers at once there is
//! never more than one.

use super::slight_dispatch::{Invocation, Step, Worker};
use super::{tracing, Answer, App};
use crate::http::{Request, Response};
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// One instance, and the request suspended on it.
pub(super) struct Slot {
    pub worker: Worker,
    call: Option<Suspended>,
}

impl Slot {
    pub fn new(worker: Worker) -> Slot {
        Slot { worker, call: None }
    }
}

/// A request suspended in a KeyValue call.
struct Suspended {
    id: u64,
    /// For its `http` trace event.
    request: Request,
    handler: String,
    started: u64,
    invocation: Invocation,
}

impl App {
    /// Starts answering `request`: its response now, or later from [`poll`](App::poll) under the
    /// id returned (the handler waits for the key-value store, or no instance is free).
    pub fn start(&mut self, request: &Request) -> Answer {
        self.last_request_id += 1;
        let id = self.last_request_id;
        match self.free_slot() {
            Some(slot) => self.run(slot, id, request),
            None => {
                self.waiting.push_back((id, request.clone()));
                Answer::Later(id)
            }
        }
    }

    /// The requests answered since the last call, by id: suspended handlers are resumed with
    /// what the store answered, and waiting requests run on the instances that came free.
    pub fn poll(&mut self) -> Vec<(u64, Response)> {
        self.progress();
        core::mem::take(&mut self.answered)
    }

    /// Answers one request, waiting for the store when the handler has to; never fails (see the
    /// module documentation). For a caller without a poll loop (tests, the Linux baseline).
    pub fn handle(&mut self, request: &Request) -> Response {
        let id = match self.start(request) {
            Answer::Now(response) => return response,
            Answer::Later(id) => id,
        };
        loop {
            self.progress();
            if let Some(i) = self.answered.iter().position(|(answered, _)| *answered == id) {
                return self.answered.remove(i).1;
            }
            self.program.kv.borrow_mut().wait();
        }
    }

    fn progress(&mut self) {
        let finished = self.program.kv.borrow_mut().finished();
        for (ticket, result) in finished {
            let Some(slot) = self.slots.iter().position(|s| s.worker.waits_for() == Some(ticket)) else { continue };
            let call = self.slots[slot].call.take().expect("an instance waiting for the store is in a request");
            let step = self.slots[slot].worker.resume(call.invocation, call.handler, result);
            if let Answer::Now(response) = self.settle(slot, call.id, call.started, Cow::Owned(call.request), step) {
                self.answered.push((call.id, response));
            }
        }
        while !self.waiting.is_empty() {
            let Some(slot) = self.free_slot() else { break };
            let (id, request) = self.waiting.pop_front().expect("not empty");
            if let Answer::Now(response) = self.run(slot, id, &request) {
                self.answered.push((id, response));
            }
        }
    }

    /// Runs request `id` on the instance in `slot`.
    fn run(&mut self, slot: usize, id: u64, request: &Request) -> Answer {
        let started = self.program.tracer.now_us();
        self.program.tracer.emit(|tracer| tracing::started(tracer, id, request));
        let worker = &mut self.slots[slot].worker;
        worker.store.data_mut().request_id = Some(id);
        let step = worker.respond(&self.program, request);
        self.settle(slot, id, started, Cow::Borrowed(request), step)
    }

    /// Request `id` took `step` on the instance in `slot`: answered (traced), or suspended there.
    fn settle(&mut self, slot: usize, id: u64, started: u64, request: Cow<'_, Request>, step: Step) -> Answer {
        match step {
            Step::Done(response, handler) => {
                self.slots[slot].worker.store.data_mut().request_id = None;
                self.program.tracer.emit(|tracer| tracing::http(tracer, id, &request, &response, &handler, started));
                Answer::Now(response)
            }
            Step::Suspended(invocation, handler) => {
                let request = request.into_owned();
                self.slots[slot].call = Some(Suspended { id, request, handler, started, invocation });
                Answer::Later(id)
            }
        }
    }

    /// An instance with no request, started now if all are busy and the pool may grow.
    fn free_slot(&mut self) -> Option<usize> {
        if let Some(free) = self.slots.iter().position(|s| s.call.is_none()) {
            return Some(free);
        }
        if self.slots.len() >= self.max_instances {
            return None;
        }
        // An instance that fails to start (its `init` failed this time) is not added: requests wait.
        let (store, instance) = self.program.start();
        self.slots.push(Slot::new(Worker::new(store, instance.ok()?)));
        Some(self.slots.len() - 1)
    }
}
