//! ws-source

pub mod scheduler;

pub use scheduler::{
    ActivityTracker, Allocation, SchedulerConfig, SlotRole, SubscriptionScheduler,
};
