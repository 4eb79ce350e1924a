"""The engines that compute studies on data handed to them: one event on series (single), many
events vectorised (vectorised, batch), GARCH event by event (garch). May import: inference,
models, events, data, calendar, the foundation."""
