"""self-audits, web audits and improvement ideas (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('self_audit_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.String(length=24), nullable=False),
    sa.Column('question_id', sa.String(length=24), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_self_audit_answers_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_audit_answers')),
    sa.UniqueConstraint('participant_id', 'question_id', name=op.f('uq_self_audit_answers_participant_id_question_id'))
    )
    op.create_index(op.f('ix_self_audit_answers_participant_id'), 'self_audit_answers', ['participant_id'], unique=False)
    op.create_table('web_audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_web_audits_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_audits'))
    )
    op.create_index(op.f('ix_web_audits_participant_id'), 'web_audits', ['participant_id'], unique=False)
    op.create_index(op.f('ix_web_audits_site'), 'web_audits', ['site'], unique=False)
    op.create_table('ideas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('template_id', sa.String(length=24), nullable=True),
    sa.Column('lesson_id', sa.String(length=24), nullable=True),
    sa.Column('borrowed_from_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_prompt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['borrowed_from_id'], ['ideas.id'], name=op.f('fk_ideas_borrowed_from_id_ideas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_ideas_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ideas'))
    )
    op.create_index(op.f('ix_ideas_next_prompt_at'), 'ideas', ['next_prompt_at'], unique=False)
    op.create_index(op.f('ix_ideas_participant_id'), 'ideas', ['participant_id'], unique=False)
    op.create_index(op.f('ix_ideas_shared_at'), 'ideas', ['shared_at'], unique=False)
    op.create_index(op.f('ix_ideas_status'), 'ideas', ['status'], unique=False)
    op.create_table('idea_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('postponed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_idea_steps_idea_id_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_steps')),
    sa.UniqueConstraint('idea_id', 'position', name=op.f('uq_idea_steps_idea_id_position'))
    )
    op.create_table('idea_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('step_position', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_to_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['participants.id'], name=op.f('fk_idea_notes_author_id_participants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_idea_notes_idea_id_ideas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_to_id'], ['idea_notes.id'], name=op.f('fk_idea_notes_reply_to_id_idea_notes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_notes'))
    )
    op.create_index(op.f('ix_idea_notes_idea_id'), 'idea_notes', ['idea_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idea_notes_idea_id'), table_name='idea_notes')
    op.drop_table('idea_notes')
    op.drop_table('idea_steps')
    op.drop_index(op.f('ix_ideas_status'), table_name='ideas')
    op.drop_index(op.f('ix_ideas_shared_at'), table_name='ideas')
    op.drop_index(op.f('ix_ideas_participant_id'), table_name='ideas')
    op.drop_index(op.f('ix_ideas_next_prompt_at'), table_name='ideas')
    op.drop_table('ideas')
    op.drop_index(op.f('ix_web_audits_site'), table_name='web_audits')
    op.drop_index(op.f('ix_web_audits_participant_id'), table_name='web_audits')
    op.drop_table('web_audits')
    op.drop_index(op.f('ix_self_audit_answers_participant_id'), table_name='self_audit_answers')
    op.drop_table('self_audit_answers')
