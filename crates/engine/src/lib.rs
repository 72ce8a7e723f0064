//! The proctoring engine of Paraakh Secure Exam. For now: the system check
//! a candidate sees before an exam ([`preflight`]). The session itself
//! (monitors → policy → events → evidence) comes next.

#![forbid(unsafe_code)]

pub mod preflight;
