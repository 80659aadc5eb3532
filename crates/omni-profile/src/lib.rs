//! placeholder during dependency build
