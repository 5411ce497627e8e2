//! `#[derive(FromRow)]` for `codex-database`: one line instead of a
//! hand-written `fn x_from_row(row: &Row)` and its `X_COLUMNS` constant.
//!
//! Use it as `#[derive(codex_database::FromRow)]`: the generated code names
//! the crate `::codex_database`, so this crate is of no use on its own.
//!
//! Every named field is read with `row.get::<FieldType>("column")`, the
//! column being the field's name unless a field attribute says otherwise:
//! - `#[row(rename = "column")]` reads another column;
//! - `#[row(json)]`: the column is `json`/`jsonb`, deserialised into the
//!   field's type (an `Option` field reads NULL as `None`);
//! - `#[row(parse)]`: the column is text, parsed with `FromStr` (an
//!   `Option<T>` field reads NULL as `None`);
//! - `#[row(default)]`: a column that was not selected, or is NULL, gives
//!   `Default::default()`. Such a field is left out of `COLUMNS`, which lists
//!   the other columns in field order.
//!
//! `default` combines with the others; `json` and `parse` exclude each
//! other. Tuple structs, unit structs, enums, unions and unknown attributes
//! are compile errors that point at the offending code.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, GenericArgument, Ident, LitStr, PathArguments, Type};

/// Implements `codex_database::FromRow` for a struct with named fields.
#[proc_macro_derive(FromRow, attributes(row))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// How a field's column is turned into the field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decode {
    /// `Row::get`, through `FromSqlValue`.
    Plain,
    /// A `json`/`jsonb` column through serde.
    Json,
    /// A text column through `FromStr`.
    Parse,
}

/// What the attributes of one field asked for.
struct FieldSpec<'a> {
    ident: Ident,
    ty: &'a Type,
    column: String,
    decode: Decode,
    default: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let specs = field_specs(input)?;
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let columns = specs
        .iter()
        .filter(|spec| !spec.default)
        .map(|spec| &spec.column);
    let row = if specs.is_empty() {
        quote!(_row)
    } else {
        quote!(row)
    };
    let fields = specs.iter().map(|spec| {
        let ident = &spec.ident;
        let value = read(spec);
        quote!(#ident: #value)
    });
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::codex_database::FromRow for #name #type_generics #where_clause {
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];

            fn from_row(
                #row: &::codex_database::Row,
            ) -> ::core::result::Result<Self, ::codex_database::DbError> {
                ::core::result::Result::Ok(Self { #(#fields,)* })
            }
        }
    })
}

/// The expression that reads one field; spanned on the field's type so
/// that a type without the needed trait is reported there.
fn read(spec: &FieldSpec<'_>) -> TokenStream2 {
    let ty = spec.ty;
    let column = &spec.column;
    let span = ty.span();
    let read = match (spec.decode, option_inner(ty)) {
        (Decode::Plain, _) => {
            quote_spanned!(span=> ::codex_database::Row::get::<#ty>(row, #column)?)
        }
        (Decode::Json, _) => {
            quote_spanned!(span=> ::codex_database::__private::json::<#ty>(row, #column)?)
        }
        (Decode::Parse, Some(inner)) => {
            quote_spanned!(span=> ::codex_database::__private::parse_optional::<#inner>(row, #column)?)
        }
        (Decode::Parse, None) => {
            quote_spanned!(span=> ::codex_database::__private::parse::<#ty>(row, #column)?)
        }
    };
    if spec.default {
        quote_spanned! {span=>
            if ::codex_database::__private::has_value(row, #column) {
                #read
            } else {
                ::core::default::Default::default()
            }
        }
    } else {
        read
    }
}

/// The fields of a struct with named fields, or an error naming what is
/// not supported. Errors from several fields are reported together.
fn field_specs(input: &DeriveInput) -> syn::Result<Vec<FieldSpec<'_>>> {
    if let Some(attr) = input.attrs.iter().find(|attr| attr.path().is_ident("row")) {
        return Err(syn::Error::new_spanned(
            attr,
            "#[row(...)] goes on fields, not on the struct",
        ));
    }
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => &named.named,
            Fields::Unnamed(unnamed) => {
                return Err(syn::Error::new_spanned(
                    unnamed,
                    "FromRow needs named fields: the field names are the column names, \
                     and a tuple struct has none",
                ));
            }
            Fields::Unit => {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "FromRow needs a struct with named fields, one per column",
                ));
            }
        },
        Data::Enum(data) => {
            return Err(syn::Error::new(
                data.enum_token.span(),
                "FromRow can only be derived for a struct with named fields, not for an enum \
                 (to read an enum from a text column, implement FromStr and use #[row(parse)])",
            ));
        }
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span(),
                "FromRow can only be derived for a struct with named fields, not for a union",
            ));
        }
    };
    let mut specs = Vec::with_capacity(fields.len());
    let mut errors: Option<syn::Error> = None;
    for field in fields {
        match field_spec(field) {
            Ok(spec) => specs.push(spec),
            Err(error) => match &mut errors {
                Some(errors) => errors.combine(error),
                None => errors = Some(error),
            },
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(specs),
    }
}

fn field_spec(field: &Field) -> syn::Result<FieldSpec<'_>> {
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new_spanned(field, "FromRow needs named fields"))?;
    let mut rename: Option<LitStr> = None;
    let mut json: Option<Ident> = None;
    let mut parse: Option<Ident> = None;
    let mut default: Option<Ident> = None;
    for attr in field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("row"))
    {
        attr.parse_nested_meta(|meta| {
            let once = |seen: &mut Option<Ident>| -> syn::Result<()> {
                if seen.is_some() {
                    return Err(meta.error("this row attribute is given twice"));
                }
                *seen = meta.path.get_ident().cloned();
                Ok(())
            };
            if meta.path.is_ident("rename") {
                if rename.is_some() {
                    return Err(meta.error("`rename` is given twice"));
                }
                let column: LitStr = meta.value()?.parse()?;
                if column.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(
                        &column,
                        "the column name must not be empty",
                    ));
                }
                rename = Some(column);
                Ok(())
            } else if meta.path.is_ident("json") {
                once(&mut json)
            } else if meta.path.is_ident("parse") {
                once(&mut parse)
            } else if meta.path.is_ident("default") {
                once(&mut default)
            } else {
                Err(meta.error(
                    "unknown row attribute: expected `rename = \"column\"`, `json`, `parse` or `default`",
                ))
            }
        })?;
    }
    let decode = match (json, parse) {
        (Some(_), Some(parse)) => {
            return Err(syn::Error::new_spanned(
                parse,
                "`json` and `parse` cannot be combined: the column is either json or text",
            ));
        }
        (Some(_), None) => Decode::Json,
        (None, Some(_)) => Decode::Parse,
        (None, None) => Decode::Plain,
    };
    Ok(FieldSpec {
        column: rename.map_or_else(|| ident.unraw().to_string(), |column| column.value()),
        ident,
        ty: &field.ty,
        decode,
        default: default.is_some(),
    })
}

/// `T` when `ty` is written `Option<T>` (or `std::option::Option<T>`,
/// `core::option::Option<T>`). A type alias of `Option` is not recognised.
fn option_inner(ty: &Type) -> Option<&Type> {
    let ty = match ty {
        Type::Group(group) => &group.elem,
        Type::Paren(paren) => &paren.elem,
        other => other,
    };
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<_> = path.path.segments.iter().collect();
    let (last, prefix) = segments.split_last()?;
    let prefix: Vec<String> = prefix.iter().map(|s| s.ident.to_string()).collect();
    let prefix_ok = match prefix.as_slice() {
        [] => path.path.leading_colon.is_none(),
        [root, module] => (root == "std" || root == "core") && module == "option",
        _ => false,
    };
    if !prefix_ok || last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn error_of(input: DeriveInput) -> String {
        match expand(&input) {
            Ok(tokens) => panic!("expected an error, got {tokens}"),
            Err(error) => error
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn columns_follow_field_order_renames_and_leave_out_defaults() {
        let input: DeriveInput = parse_quote! {
            struct User {
                id: Uuid,
                #[row(rename = "email_address")]
                email: String,
                #[row(default)]
                unread: i64,
                #[row(json)]
                links: Option<Links>,
                #[row(parse, rename = "role_text")]
                role: Role,
                r#type: String,
            }
        };
        let specs = field_specs(&input).expect("supported");
        let columns: Vec<_> = specs
            .iter()
            .filter(|spec| !spec.default)
            .map(|spec| spec.column.as_str())
            .collect();
        assert_eq!(
            columns,
            ["id", "email_address", "links", "role_text", "type"]
        );
        let decodes: Vec<_> = specs.iter().map(|spec| spec.decode).collect();
        assert_eq!(
            decodes,
            [
                Decode::Plain,
                Decode::Plain,
                Decode::Plain,
                Decode::Json,
                Decode::Parse,
                Decode::Plain,
            ]
        );
        assert!(specs[2].default);
        assert!(expand(&input).is_ok());
    }

    #[test]
    fn option_is_recognised_by_its_usual_spellings_only() {
        let inner = |ty: Type| option_inner(&ty).map(|t| quote!(#t).to_string());
        assert_eq!(inner(parse_quote!(Option<Role>)), Some("Role".to_owned()));
        assert_eq!(
            inner(parse_quote!(std::option::Option<Role>)),
            Some("Role".to_owned())
        );
        assert_eq!(
            inner(parse_quote!(core::option::Option<Role>)),
            Some("Role".to_owned())
        );
        assert_eq!(inner(parse_quote!(Role)), None);
        assert_eq!(inner(parse_quote!(my::Option<Role>)), None);
        assert_eq!(inner(parse_quote!(Vec<Role>)), None);
    }

    #[test]
    fn unsupported_shapes_are_refused_with_a_reason() {
        assert!(
            error_of(parse_quote!(
                struct Pair(i64, String);
            ))
            .contains("tuple struct")
        );
        assert!(
            error_of(parse_quote!(
                struct Nothing;
            ))
            .contains("named fields")
        );
        assert!(
            error_of(parse_quote!(
                enum Role {
                    Admin,
                }
            ))
            .contains("not for an enum")
        );
        assert!(
            error_of(parse_quote!(
                union Bits {
                    a: u32,
                }
            ))
            .contains("not for a union")
        );
        assert!(
            error_of(parse_quote!(
                #[row(json)]
                struct User {
                    id: i64,
                }
            ))
            .contains("not on the struct")
        );
    }

    #[test]
    fn bad_field_attributes_are_refused_and_reported_together() {
        let message = error_of(parse_quote! {
            struct User {
                #[row(jsonb)]
                a: i64,
                #[row(json, parse)]
                b: i64,
                #[row(rename = "")]
                c: i64,
                #[row(default, default)]
                d: i64,
                #[row(rename = 5)]
                e: i64,
            }
        });
        for expected in [
            "unknown row attribute",
            "cannot be combined",
            "must not be empty",
            "given twice",
            "expected string literal",
        ] {
            assert!(message.contains(expected), "{expected:?} in {message}");
        }
    }
}
