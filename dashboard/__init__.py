"""The Plotly Dash dashboard: charts, filters, drill-down and snapshot exports."""
