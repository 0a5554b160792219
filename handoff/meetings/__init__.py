"""First digital meetings with a relocation host, booked in the chat.

``availability`` is when hosts hold meetings (weekly hours, exceptions, office days);
``records`` the bookings, whose slot the database keeps from being booked twice; ``invitation``
the calendar e-mails; ``flow`` the chat's few questions; ``reminders`` the day-before e-mail.
"""
