//! One merchant's objects, and the transaction every change goes through.
//!
//! An operation never writes the store directly: it reads and stages records in a [`Tx`], and only
//! when it returns `Ok` are the staged records and their events applied, together. A rejected
//! request (malformed, out of range, wrong state, unauthenticated) drops its `Tx`, so it changes
//! nothing by construction rather than by care.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::charge::ChargeRecord;
use super::charge_permission::PermissionRecord;
use super::checkout_session::SessionRecord;
use super::error::ErrorResponse;
use super::moved::Moved;
use super::refund::RefundRecord;
use crate::evidence::Event;

/// Records of every kind, by id: the applied ones in a [`Store`], the staged ones in [`Changes`].
#[derive(Debug, Default)]
struct Records {
    sessions: BTreeMap<String, SessionRecord>,
    permissions: BTreeMap<String, PermissionRecord>,
    charges: BTreeMap<String, ChargeRecord>,
    refunds: BTreeMap<String, RefundRecord>,
}

/// The objects of one merchant, as the API shows them after the last applied change.
#[derive(Debug, Default)]
pub struct Store {
    records: Records,
    /// Numbers the ids this merchant's objects get.
    sequence: u64,
}

/// The objects an answer shows, rendered once the changes are applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    Session(String),
    Permission(String),
    Charge(String),
    Refund(String),
}

/// What staged changes come to: records to write and the events they caused, in order.
#[derive(Debug, Default)]
pub struct Changes {
    records: Records,
    sequence: u64,
    events: Vec<Event>,
}

/// The store as one operation sees it: the applied records with its own staged ones on top.
pub struct Tx<'s> {
    store: &'s Store,
    changes: Changes,
}

impl Store {
    pub fn begin(&self) -> Tx<'_> {
        Tx { store: self, changes: Changes { sequence: self.sequence, ..Changes::default() } }
    }

    /// Writes what a transaction staged; returns its events, in the order they happened.
    pub fn apply(&mut self, changes: Changes) -> Vec<Event> {
        let (applied, staged) = (&mut self.records, changes.records);
        applied.sessions.extend(staged.sessions);
        applied.permissions.extend(staged.permissions);
        applied.charges.extend(staged.charges);
        applied.refunds.extend(staged.refunds);
        self.sequence = changes.sequence;
        changes.events
    }

    pub fn session(&self, id: &str) -> Option<&SessionRecord> {
        self.records.sessions.get(id)
    }

    fn charges_of(&self, permission_id: &str) -> Vec<&ChargeRecord> {
        self.records.charges.values().filter(|c| c.charge_permission_id == permission_id).collect()
    }

    /// An object as the API returns it now.
    pub fn render(&self, object: &Object, redirect_base: &str, now: DateTime<Utc>) -> Option<Value> {
        Some(match object {
            Object::Session(id) => json_of(&self.records.sessions.get(id)?.to_model(redirect_base)),
            Object::Permission(id) => json_of(&self.records.permissions.get(id)?.to_model(&self.charges_of(id), now)),
            Object::Charge(id) => {
                let refunds = self.records.refunds.values().filter(|r| &r.charge_id == id);
                json_of(&self.records.charges.get(id)?.to_model(RefundRecord::total(refunds, true)))
            }
            Object::Refund(id) => json_of(&self.records.refunds.get(id)?.to_model()),
        })
    }

    /// Every object, for the control API.
    pub fn objects(&self) -> Vec<Object> {
        let sessions = self.records.sessions.keys().cloned().map(Object::Session);
        let permissions = self.records.permissions.keys().cloned().map(Object::Permission);
        let charges = self.records.charges.keys().cloned().map(Object::Charge);
        sessions
            .chain(permissions)
            .chain(charges)
            .chain(self.records.refunds.keys().cloned().map(Object::Refund))
            .collect()
    }
}

pub fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("model types always serialize")
}

impl<'s> Tx<'s> {
    pub fn into_changes(self) -> Changes {
        self.changes
    }

    pub fn has_changes(&self) -> bool {
        let c = &self.changes.records;
        !(c.sessions.is_empty() && c.permissions.is_empty() && c.charges.is_empty() && c.refunds.is_empty())
    }

    /// The transaction's events so far (a settle sorts them by the time they were due).
    pub fn events_mut(&mut self) -> &mut Vec<Event> {
        &mut self.changes.events
    }

    pub fn session(&self, id: &str) -> Result<&SessionRecord, ErrorResponse> {
        Self::latest(&self.store.records.sessions, &self.changes.records.sessions, id, "Checkout Session")
    }

    pub fn permission(&self, id: &str) -> Result<&PermissionRecord, ErrorResponse> {
        Self::latest(&self.store.records.permissions, &self.changes.records.permissions, id, "Charge Permission")
    }

    pub fn charge(&self, id: &str) -> Result<&ChargeRecord, ErrorResponse> {
        Self::latest(&self.store.records.charges, &self.changes.records.charges, id, "Charge")
    }

    pub fn refund(&self, id: &str) -> Result<&RefundRecord, ErrorResponse> {
        Self::latest(&self.store.records.refunds, &self.changes.records.refunds, id, "Refund")
    }

    /// A record as the transaction sees it: staged if it was changed, else as applied.
    fn latest<'a, T>(
        applied: &'a BTreeMap<String, T>,
        staged: &'a BTreeMap<String, T>,
        id: &str,
        what: &str,
    ) -> Result<&'a T, ErrorResponse> {
        staged.get(id).or_else(|| applied.get(id)).ok_or_else(|| ErrorResponse::not_found(what, id))
    }

    /// Every record of a kind, staged versions replacing applied ones.
    fn merged<'a, T>(applied: &'a BTreeMap<String, T>, staged: &'a BTreeMap<String, T>) -> Vec<&'a T> {
        let replaced = applied.iter().map(|(id, r)| staged.get(id).unwrap_or(r));
        replaced.chain(staged.iter().filter(|(id, _)| !applied.contains_key(*id)).map(|(_, r)| r)).collect()
    }

    pub fn sessions(&self) -> Vec<&SessionRecord> {
        Self::merged(&self.store.records.sessions, &self.changes.records.sessions)
    }

    pub fn permissions(&self) -> Vec<&PermissionRecord> {
        Self::merged(&self.store.records.permissions, &self.changes.records.permissions)
    }

    pub fn charges(&self) -> Vec<&ChargeRecord> {
        Self::merged(&self.store.records.charges, &self.changes.records.charges)
    }

    pub fn refunds(&self) -> Vec<&RefundRecord> {
        Self::merged(&self.store.records.refunds, &self.changes.records.refunds)
    }

    pub fn charges_of(&self, permission_id: &str) -> Vec<&ChargeRecord> {
        self.charges().into_iter().filter(|c| c.charge_permission_id == permission_id).collect()
    }

    pub fn refunds_of(&self, charge_id: &str) -> Vec<&RefundRecord> {
        self.refunds().into_iter().filter(|r| r.charge_id == charge_id).collect()
    }

    pub fn put_session(&mut self, moved: Moved<SessionRecord>) {
        self.changes.events.extend(moved.events);
        self.changes.records.sessions.insert(moved.record.id.clone(), moved.record);
    }

    pub fn put_permission(&mut self, moved: Moved<PermissionRecord>) {
        self.changes.events.extend(moved.events);
        self.changes.records.permissions.insert(moved.record.id.clone(), moved.record);
    }

    pub fn put_charge(&mut self, moved: Moved<ChargeRecord>) {
        self.changes.events.extend(moved.events);
        self.changes.records.charges.insert(moved.record.id.clone(), moved.record);
    }

    pub fn put_refund(&mut self, moved: Moved<RefundRecord>) {
        self.changes.events.extend(moved.events);
        self.changes.records.refunds.insert(moved.record.id.clone(), moved.record);
    }

    /// `S03-XXXXXXX-NNNNNNN`: Amazon's shape of a charge permission id.
    pub fn next_permission_id(&mut self) -> String {
        self.changes.sequence += 1;
        let random = uuid::Uuid::new_v4().as_u128();
        format!("S03-{:07}-{:07}", (random % 10_000_000) as u64, self.changes.sequence % 10_000_000)
    }

    /// A charge (`C`) or refund (`R`) id under its permission's, as Amazon's ids are.
    pub fn next_child_id(&mut self, permission_id: &str, letter: char) -> String {
        self.changes.sequence += 1;
        format!("{permission_id}-{letter}{:06}", self.changes.sequence % 1_000_000)
    }
}
