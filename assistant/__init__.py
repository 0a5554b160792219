"""What the assistant itself decides and says, whatever the channel: the reply language
(``language``) and every response rendered from the catalogs (``nlg``).

Shared by Rasa's custom actions (which decide), the NLG endpoint (which renders) and the gateway
(which answers bad input and outages itself). May import ``base``, ``municipalities`` and
``knowledge`` only.
"""
