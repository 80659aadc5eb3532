//! Warehouse table names: part of the product contract (analysts' SQL depends on them).

pub const SOURCE_RECORDS: &str = "source_records";
pub const TRANSACTIONS: &str = "transactions";
pub const REJECTS: &str = "rejects";
pub const IDENTITY_EDGES: &str = "identity_edges";
pub const IDENTITY_MAP: &str = "identity_map";
pub const CUSTOMER_ID_HISTORY: &str = "customer_id_history";
pub const PROFILES: &str = "profiles";
pub const CONTACT_POINTS: &str = "contact_points";
pub const CUSTOMER_EVENTS: &str = "customer_events";
pub const RFM: &str = "rfm";
pub const RFM_CUT_POINTS: &str = "rfm_cut_points";
pub const SEGMENT_MEMBERSHIP: &str = "segment_membership";
pub const RUNS: &str = "runs";

/// Every table a build publishes, in the order they are produced.
pub const ALL: &[&str] = &[
    SOURCE_RECORDS,
    TRANSACTIONS,
    REJECTS,
    IDENTITY_EDGES,
    IDENTITY_MAP,
    CUSTOMER_ID_HISTORY,
    PROFILES,
    CONTACT_POINTS,
    CUSTOMER_EVENTS,
    RFM,
    RFM_CUT_POINTS,
    SEGMENT_MEMBERSHIP,
    RUNS,
];
