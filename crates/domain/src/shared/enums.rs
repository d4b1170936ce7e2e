//! `string_enum!` declares an enum for one of the schema's CHECK lists: stored and serialised as
//! its snake_case text, parsed strictly, with an error that lists the accepted values.

/// Declares a string-backed enum. `field` names the column in error messages.
///
/// ```
/// givance_domain::string_enum! {
///     /// How a gift was paid.
///     pub enum Channel: "channel" { Email => "email", Phone => "phone" }
/// }
/// assert_eq!("phone".parse::<Channel>().unwrap(), Channel::Phone);
/// assert!("fax".parse::<Channel>().unwrap_err().message.contains("email, phone"));
/// ```
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident : $field:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised text of this value.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::shared::ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::shared::ValueError::new(
                        $field,
                        format!(
                            "unknown value '{}'; expected one of {}",
                            other,
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    string_enum! {
        enum Colour: "colour" { Red => "red", DarkBlue => "dark_blue" }
    }

    #[test]
    fn round_trips_through_text_and_json() {
        for colour in Colour::ALL {
            assert_eq!(colour.as_str().parse::<Colour>().unwrap(), *colour);
            let json = serde_json::to_string(colour).unwrap();
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *colour);
        }
        assert_eq!(serde_json::to_string(&Colour::DarkBlue).unwrap(), "\"dark_blue\"");
    }

    #[test]
    fn rejects_unknown_values_naming_the_field_and_the_choices() {
        let err = "DarkBlue".parse::<Colour>().unwrap_err();
        assert_eq!(err.field, "colour");
        assert_eq!(err.message, "unknown value 'DarkBlue'; expected one of red, dark_blue");
        let json_err = serde_json::from_str::<Colour>("\"green\"").unwrap_err();
        assert!(json_err.to_string().contains("expected one of red, dark_blue"), "{json_err}");
    }
}
