//! Phase C of a block: every selected channel's rows, assembled into the block's part of
//! each file and of the truth files.

use crate::Ctx;
use crate::channels::{self, Chunk, FileKind, Truth, assemble};
use crate::person::Block;

/// What one block contributes to the output.
#[derive(Debug)]
pub struct BlockOut {
    /// One chunk per [`FileKind::ALL`] entry; `None` when the file is not generated.
    pub files: Vec<Option<Chunk>>,
    pub truth: Truth,
}

/// Which files a run writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    pub web: bool,
    /// POS tickets and loyalty members go together (tickets carry loyalty cards).
    pub store: bool,
    pub app: bool,
    pub call_centre: bool,
    pub messaging: bool,
}

impl Selection {
    pub fn includes(&self, kind: FileKind) -> bool {
        match kind {
            FileKind::Web => self.web,
            FileKind::Pos | FileKind::Loyalty => self.store,
            FileKind::AppUsers | FileKind::AppOrders => self.app,
            FileKind::CallCentre => self.call_centre,
            FileKind::Messaging => self.messaging,
        }
    }
}

/// Generates and assembles every selected file's rows for one block.
pub fn render(ctx: &Ctx, block: &Block) -> BlockOut {
    let sel = ctx.selection;
    let mut truth = Truth::default();
    let mut files: Vec<Option<Chunk>> = FileKind::ALL.iter().map(|_| None).collect();
    let slot = |k: FileKind| FileKind::ALL.iter().position(|&x| x == k).unwrap_or(0);

    let web = sel.web.then(|| channels::web::generate(ctx, block));
    let mut web_ids: Vec<u64> = Vec::new();
    let mut returnable = None;
    if let Some(w) = web {
        let mut chunk = assemble(ctx, block, FileKind::Web, w.rows, &[], &mut truth);
        web_ids = std::mem::take(&mut chunk.ids);
        returnable = Some(w.returnable);
        files[slot(FileKind::Web)] = Some(chunk);
    }
    if sel.store {
        let rows = channels::pos::generate(ctx, block, returnable.as_deref());
        files[slot(FileKind::Pos)] = Some(assemble(
            ctx,
            block,
            FileKind::Pos,
            rows,
            &web_ids,
            &mut truth,
        ));
        let rows = channels::loyalty::generate(ctx, block);
        files[slot(FileKind::Loyalty)] = Some(assemble(
            ctx,
            block,
            FileKind::Loyalty,
            rows,
            &[],
            &mut truth,
        ));
    }
    if sel.app {
        let app = channels::app::generate(ctx, block);
        files[slot(FileKind::AppUsers)] = Some(assemble(
            ctx,
            block,
            FileKind::AppUsers,
            app.users,
            &[],
            &mut truth,
        ));
        files[slot(FileKind::AppOrders)] = Some(assemble(
            ctx,
            block,
            FileKind::AppOrders,
            app.orders,
            &[],
            &mut truth,
        ));
    }
    if sel.call_centre {
        let rows = channels::call_centre::generate(ctx, block);
        files[slot(FileKind::CallCentre)] = Some(assemble(
            ctx,
            block,
            FileKind::CallCentre,
            rows,
            &[],
            &mut truth,
        ));
    }
    if sel.messaging {
        let rows = channels::messaging::generate(ctx, block);
        files[slot(FileKind::Messaging)] = Some(assemble(
            ctx,
            block,
            FileKind::Messaging,
            rows,
            &[],
            &mut truth,
        ));
    }
    BlockOut { files, truth }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Ids;
    use crate::person::generate_block;
    use crate::registry::Registry;

    fn ctx(persons: u64) -> Ctx {
        let selection = Selection {
            web: true,
            store: true,
            app: true,
            call_centre: true,
            messaging: true,
        };
        Ctx {
            seed: 42,
            persons,
            bad_row_rate: 0.0,
            selection,
            ids: Ids::new(persons),
        }
    }

    #[test]
    fn hard_negatives_are_formed_in_a_block() {
        let ctx = ctx(2_000);
        let mut block = generate_block(&ctx, 0);
        Registry::default().register(&mut block, ctx.seed).unwrap();
        assert_eq!(block.households.len(), 50);
        for h in &block.households {
            let (a, b) = (
                &block.persons[h.head as usize],
                &block.persons[h.member as usize],
            );
            assert!(a.landline.is_some() && a.landline == b.landline);
            assert_eq!(
                (a.home.full(), &a.home.postcode, a.city),
                (b.home.full(), &b.home.postcode, b.city)
            );
            assert!(a.in_web && a.in_cc && b.in_web && b.in_cc);
        }
        assert_eq!(
            block
                .households
                .iter()
                .filter(|h| h.family_email.is_some())
                .count(),
            25
        );
        let namesakes: Vec<_> = block.persons.iter().filter(|p| p.namesake).collect();
        assert_eq!(namesakes.len(), 40);
        let maria = namesakes
            .iter()
            .filter(|p| p.first == "María" && p.s1 == "García")
            .count();
        assert!(maria >= 2);
        // Mailboxes and lines are unique, apart from the households' shared ones.
        let mut emails = std::collections::HashSet::new();
        for p in &block.persons {
            assert!(
                emails.insert(crate::contact::email_key(&p.email)),
                "{}",
                p.email
            );
            assert!(p.email.is_ascii() && !p.email.contains(' '));
        }
        let movers = block.persons.iter().filter(|p| p.moved.is_some()).count();
        assert!((60..200).contains(&movers), "{movers}");
    }

    #[test]
    fn pos_and_web_refer_within_the_block() {
        let ctx = ctx(1_000);
        let mut block = generate_block(&ctx, 0);
        Registry::default().register(&mut block, ctx.seed).unwrap();
        let out = render(&ctx, &block);
        assert_eq!(out.files.iter().filter(|f| f.is_some()).count(), 7);
        let pos = out.files[1].as_ref().unwrap();
        assert!(
            pos.data
                .lines()
                .any(|l| l.ends_with(";W") || l.contains(";W1"))
        );
        assert_eq!(out.truth.truth.lines().count() as u64, out.truth.truth_rows);
    }
}
