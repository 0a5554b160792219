"""What municipalities learn from the conversations: figures, satisfaction and FAQ gaps.

Read-only over the stored records (``storage``); the console shows and exports what it computes.
"""
