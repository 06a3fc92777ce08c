"""A participant's data: /mydata, /deleteme, and the retention clean-up."""
