"""The course dashboard's way in: /dashboard in the chat (a Mini App button and a one-time
sign-in link), the links' and browser sessions' storage, and Telegram's initData check."""
