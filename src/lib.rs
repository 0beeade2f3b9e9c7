//! payreq: a client for the payment-request API.
#![deny(missing_docs)]
