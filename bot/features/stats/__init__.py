"""Progress statistics for coordinators, in numbers and as a chart."""
