"""Studies as users ask for them: they assemble the data (inputs, event_panel) and call the
engines: one event, many events, long horizons, calendar time, regressions, simulation. May
import every layer below report."""
