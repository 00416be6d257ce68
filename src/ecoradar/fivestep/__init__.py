"""The five-step check (issue 15): a campaign's supervision of each enterprise in five steps."""
