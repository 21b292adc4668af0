"""The grading sandbox: confined, guarded kernels that run one student notebook each (see SECURITY.md)."""
