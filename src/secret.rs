//! Secret newtypes: their `Debug` prints `[redacted]`, they have no `Display`,
//! and the only way to read one is the explicit [`ClientSecret::expose`] accessor.

use crate::prelude::*;

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Every call site is a place where the secret
            /// leaves its wrapper: keep them few and never log the result.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// The OAuth2 client secret issued in the provider's dashboard.
    ClientSecret
);
secret_type!(
    /// A bearer access token returned by `POST /oauth/token`.
    AccessToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let secret = ClientSecret::new("tripwire-5ecret");
        let token = AccessToken::new("tripwire-t0ken");
        let printed = format!("{secret:?} {token:?} {:#?}", (secret.clone(), token.clone()));
        assert!(!printed.contains("tripwire"), "{printed}");
        assert!(printed.contains("ClientSecret([redacted])"));
        assert!(printed.contains("AccessToken([redacted])"));
        assert_eq!(secret.expose(), "tripwire-5ecret");
    }
}
