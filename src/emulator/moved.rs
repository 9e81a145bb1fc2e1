//! What a transition returns: the object's next record and the events the change caused
//! (`design.md`: `(State, Vec<Event>)`). The events are the emulator's truth about what happened;
//! the report's state transitions and, later, the IPNs are made from them.

use std::ops::Deref;

use crate::evidence::Event;

/// A record after a transition, with the events it caused (none when nothing changed state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved<T> {
    pub record: T,
    pub events: Vec<Event>,
}

impl<T> Moved<T> {
    /// A record whose state did not change (metadata updates, a settle with nothing due).
    pub fn unchanged(record: T) -> Self {
        Moved { record, events: Vec::new() }
    }

    pub fn with(record: T, event: Event) -> Self {
        Moved { record, events: vec![event] }
    }

    /// Applies a further transition to the record, keeping every event in order.
    pub fn then(mut self, next: impl FnOnce(&T) -> Moved<T>) -> Self {
        let Moved { record, events } = next(&self.record);
        self.events.extend(events);
        Moved { record, events: self.events }
    }
}

/// Tests and checks read the record's fields directly.
impl<T> Deref for Moved<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.record
    }
}
