// Placeholder: this module is being written; see the issue that owns it.
